"""Adapters for the third-party sets in ../shared/eval-data, read at run time and never copied into the repo.

App layer (evaluation lab). Each adapter returns EvalItems, or None when its file is absent, so a run over a
missing set is skipped with a message instead of failing. Provenance and licences: eval-data/README.md.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.lab.evaluation.records import EvalItem

# promptfoo templates carry a `__PROMPT__` slot. We fill it with a harmless on-topic question, so the
# flagged rate measures whether the jailbreak *wrapper* is recognised, not whether a payload is.
PROMPTFOO_PAYLOAD = "What port does Ollama listen on by default?"

CMRC_FILES = {"trial": "cmrc2018_trial.json", "dev": "cmrc2018_dev.json"}


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def cmrc_path(shared: Path, split: str) -> Path:
    return shared / "qa" / "cmrc2018" / CMRC_FILES[split]


def cmrc_paragraphs(shared: Path, split: str) -> list[tuple[str, str]] | None:
    """(paragraph id, passage text) of one CMRC 2018 split: what gets ingested into its own collection."""
    path = cmrc_path(shared, split)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(p["id"], p["context"]) for article in data["data"] for p in article["paragraphs"]]


def load_cmrc(shared: Path, split: str) -> list[EvalItem] | None:
    """Questions of one split; gold answers are the distinct answer spans (any one counts as a match)."""
    path = cmrc_path(shared, split)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                golds = tuple(dict.fromkeys(a["text"].strip() for a in qa.get("answers", []) if a.get("text", "").strip()))
                items.append(
                    EvalItem(
                        dataset=f"cmrc2018-{split}",
                        id=qa["id"],
                        question=qa["question"],
                        kind="answerable",
                        lang="zh",
                        gold_answers=golds,
                        expected_sources=(f"{para['id']}.txt",),
                    )
                )
    return items


def load_clamber(shared: Path) -> list[EvalItem] | None:
    path = shared / "clarification" / "clamber_clean.jsonl"
    if not path.exists():
        return None
    return [
        EvalItem(
            dataset="clamber",
            id=str(row.get("id") or i),
            question=row["question"],
            kind="vague" if int(row["require_clarification"]) else "clear",
            lang="en",
        )
        for i, row in enumerate(_jsonl(path))
    ]


def load_clariq(shared: Path) -> list[EvalItem] | None:
    """clarification_need 1 = clear, 3-4 = vague; 2 ("might need clarification") is skipped as ambiguous
    ground truth (the same reading as bench/eval_completeness.py)."""
    path = shared / "clarification" / "clariq_requests.jsonl"
    if not path.exists():
        return None
    items = []
    for i, row in enumerate(_jsonl(path)):
        need = int(row["clarification_need"])
        if need == 2:
            continue
        items.append(
            EvalItem(
                dataset="clariq",
                id=f"clariq-{row.get('topic_id', i)}",
                question=row["initial_request"],
                kind="vague" if need >= 3 else "clear",
                lang="en",
            )
        )
    return items


def load_promptfoo(shared: Path) -> list[EvalItem] | None:
    path = shared / "injection" / "promptfoo_0.121.20" / "jailbreak_templates.json"
    if not path.exists():
        return None
    templates = json.loads(path.read_text(encoding="utf-8"))
    return [
        EvalItem(
            dataset="promptfoo",
            id=f"promptfoo-{i:03d}",
            question=t.replace("__PROMPT__", PROMPTFOO_PAYLOAD),
            kind="injection",
            lang="en",
        )
        for i, t in enumerate(templates)
    ]


def load_giskard(shared: Path) -> list[EvalItem] | None:
    path = shared / "injection" / "giskard_2.19.2" / "prompt_injections.csv"
    if not path.exists():
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        EvalItem(
            dataset="giskard",
            id=f"giskard-{row.get('index') or i}",
            question=row["prompt"],
            kind="injection",
            lang=row.get("language") or "en",
        )
        for i, row in enumerate(rows)
    ]


def load_flames(shared: Path) -> list[EvalItem] | None:
    """Flames prompts are adversarial (harm, bias, privacy) rather than injections; the flagged rate says how
    many the injection guard also catches, which is expected to be low."""
    path = shared / "injection" / "flames_zh" / "Flames_1k_Chinese.jsonl"
    if not path.exists():
        return None
    return [
        EvalItem(dataset="flames", id=f"flames-{i:04d}", question=row["prompt"], kind="injection", lang="zh")
        for i, row in enumerate(_jsonl(path))
    ]
