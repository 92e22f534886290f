"""Labelled exemplars of the input detectors: which texts they learn from, with their provenance.

App layer (signals). Texts are read at run time from the team's hand-written sets (data/eval) and, when the
folder exists, from the third-party sets in ../shared/eval-data (never copied into the repository). Only the
TUNE hash split of each set is used (app.stats.split_of over "<dataset>/<id>", the key the evaluation lab
reports on), so no item of a report split ever becomes an exemplar. Large sets are subsampled by hash to
keep the first-use embedding cheap.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.stats import split_of

# The same filling as the evaluation lab's promptfoo adapter (a test checks the two agree): the exemplar is
# the jailbreak wrapper around a harmless question, not a harmful payload.
PROMPTFOO_PAYLOAD = "What port does Ollama listen on by default?"
TEAM_LICENCE = "team-written (this repository)"


class Exemplar(BaseModel):
    """One labelled text. `key` is "<dataset>/<id>", exactly the evaluation lab's item key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    text: str
    kind: str  # the lab's label: injection, benign, vague, clear, answerable, unanswerable
    lang: str
    licence: str

    @property
    def dataset(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def team(self) -> bool:
        """Team-written text may be quoted as evidence; third-party text is named by key only (some of it is
        offensive, see ../shared/eval-data/README.md)."""
        return self.licence == TEAM_LICENCE


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _team_kind(row: dict[str, Any]) -> str:
    if row.get("kind"):
        return str(row["kind"])
    if "vague" in row:
        return "vague" if row["vague"] else "clear"
    if "injection" in row:
        return "injection" if row["injection"] else "benign"
    return str(row.get("type") or "answerable")


# Team-written sets that live beside data/eval rather than in it (the same mapping as the lab's BUNDLED_SETS,
# which a test checks): the bundled general questions are everyday questions written for calibration.
BUNDLED = {"general": ("calibration", "general_questions.jsonl")}


def team_set(folder: Path, name: str) -> list[Exemplar]:
    """A team set of `folder` (data/eval), or a bundled one from its sibling folder, keyed like the lab keys it."""
    path = folder.parent.joinpath(*BUNDLED[name]) if name in BUNDLED else folder / f"{name}.jsonl"
    if not path.exists():
        return []
    return [
        Exemplar(
            key=f"{name}/{row['id']}", text=row["question"], kind=_team_kind(row), lang=row.get("lang", "?"), licence=TEAM_LICENCE
        )
        for row in _jsonl(path)
    ]


def _promptfoo(shared: Path) -> list[Exemplar]:
    path = shared / "injection" / "promptfoo_0.121.20" / "jailbreak_templates.json"
    templates = json.loads(path.read_text(encoding="utf-8"))
    return [
        Exemplar(key=f"promptfoo/promptfoo-{i:03d}", text=t.replace("__PROMPT__", PROMPTFOO_PAYLOAD), kind="injection", lang="en", licence="MIT (promptfoo 0.121.20)")
        for i, t in enumerate(templates)
    ]  # fmt: skip


def _giskard(shared: Path) -> list[Exemplar]:
    path = shared / "injection" / "giskard_2.19.2" / "prompt_injections.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        Exemplar(key=f"giskard/giskard-{row.get('index') or i}", text=row["prompt"], kind="injection", lang=row.get("language") or "en", licence="Apache-2.0 (giskard 2.19.2)")
        for i, row in enumerate(rows)
    ]  # fmt: skip


def _clamber(shared: Path) -> list[Exemplar]:
    path = shared / "clarification" / "clamber_clean.jsonl"
    return [
        Exemplar(key=f"clamber/{row.get('id') or i}", text=row["question"], kind="vague" if int(row["require_clarification"]) else "clear", lang="en", licence="CLAMBER (no licence stated)")
        for i, row in enumerate(_jsonl(path))
    ]  # fmt: skip


def _clariq(shared: Path) -> list[Exemplar]:
    """clarification_need 1 = clear, 3-4 = vague; 2 is skipped (the lab's reading of ClariQ)."""
    path = shared / "clarification" / "clariq_requests.jsonl"
    return [
        Exemplar(key=f"clariq/clariq-{row.get('topic_id', i)}", text=row["initial_request"], kind="vague" if int(row["clarification_need"]) >= 3 else "clear", lang="en", licence="ClariQ (no licence stated)")
        for i, row in enumerate(_jsonl(path))
        if int(row["clarification_need"]) != 2
    ]  # fmt: skip


def _cmrc_trial(shared: Path) -> list[Exemplar]:
    """CMRC 2018 trial questions (the split the shared README sets aside for tuning); all clear and benign."""
    path = shared / "qa" / "cmrc2018" / "cmrc2018_trial.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Exemplar(key=f"cmrc2018-trial/{qa['id']}", text=qa["question"], kind="answerable", lang="zh", licence="CC BY-SA 4.0 (CMRC 2018)")
        for article in data["data"]
        for para in article["paragraphs"]
        for qa in para["qas"]
    ]  # fmt: skip


SHARED_READERS: dict[str, Callable[[Path], list[Exemplar]]] = {
    "promptfoo": _promptfoo,
    "giskard": _giskard,
    "clamber": _clamber,
    "clariq": _clariq,
    "cmrc2018-trial": _cmrc_trial,
}


def shared_set(shared: Path, name: str) -> list[Exemplar]:
    """A third-party set, or [] when its file is absent or unreadable (the detector then learns without it)."""
    try:
        return SHARED_READERS[name](shared)
    except (OSError, ValueError, KeyError):
        return []


def tune_sample(items: list[Exemplar], cap: int | None = None) -> list[Exemplar]:
    """The tune split, then at most `cap` of it chosen by a hash of the key (stable across runs)."""
    tune = [e for e in items if split_of(e.key) == "tune"]
    if cap is None or len(tune) <= cap:
        return tune
    return sorted(tune, key=lambda e: hashlib.sha256(("sample:" + e.key).encode("utf-8")).hexdigest())[:cap]


def corpus_set(folder: Path, *, min_chars: int = 80) -> list[Exemplar]:
    """Paragraphs of the team's sample corpus (data/docs, hand-written): long benign prose, much of it about
    prompts and prompt injection in the third person, the look-alikes a detector must not flag. Not an
    evaluation set (nothing is reported on it), so it is not split."""
    found: list[Exemplar] = []
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        if path.suffix not in (".md", ".txt"):
            continue
        paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n")]
        for n, para in enumerate(p for p in paragraphs if len(p) >= min_chars):
            lang = "zh" if sum("\u4e00" <= c <= "\u9fff" for c in para) > len(para) * 0.1 else "en"
            found.append(Exemplar(key=f"docs/{path.name}#{n}", text=para, kind="benign", lang=lang, licence=TEAM_LICENCE))
    return found
