"""Model-free scoring paths of the lab: --retrieval-only (relevance refusals, recall@1/@k, per language),
--against another collection, the grounding set through the output guardrails, and stable hash splits."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from app import chunk_text
from app.cli.lab import run_lab_command
from app.lab.evaluation.datasets import TEAM_SETS, resolve, select, split_of
from app.lab.evaluation.modes import grounding_record, passage_chunk, retrieval_record
from app.lab.evaluation.records import EvalItem
from app.lab.evaluation.suite import evaluate
from tests.app.lab.conftest import ANSWERABLE, UNANSWERABLE, write_jsonl
from tests.app.lab.test_suite_and_cli import parse

REPO = Path(__file__).resolve().parents[3]


def test_retrieval_record_scores_relevance_without_the_model(service) -> None:
    svc, _ = service()  # no scripted reply: any model call would fail loudly
    answerable = retrieval_record(svc, ANSWERABLE)
    assert answerable.status == "passed" and not answerable.declined and answerable.llm_calls == 0
    assert answerable.hit_rank == 1 and answerable.retrieval_hit and answerable.relevance is not None
    off = retrieval_record(svc, UNANSWERABLE)
    assert off.status == "refused" and off.declined and "relevance" in off.fired
    vague = retrieval_record(svc, EvalItem(dataset="t", id="v", question="Fix this.", kind="answerable"))
    assert vague.status == "clarify" and not vague.declined  # decided at the input stage, as ask() would


def test_eval_retrieval_only_reports_refusals_and_recall_per_language(service, tmp_path: Path) -> None:
    svc, _ = service()
    rows = [
        {
            "id": "a1",
            "question": "What port does Ollama listen on?",
            "lang": "en",
            "expected_sources": ["ollama-port.md"],
            "type": "answerable",
        },
        {
            "id": "a2",
            "question": "Ollama 默认监听哪个端口？",
            "lang": "zh",
            "expected_sources": ["端口.md"],
            "type": "answerable",
        },
        {"id": "u1", "question": "How do I bake sourdough bread?", "lang": "en", "type": "unanswerable"},
        {"id": "u2", "question": "红烧肉怎么做？", "lang": "zh", "type": "unanswerable"},
    ]
    path = write_jsonl(tmp_path / "mix.jsonl", rows)
    out = io.StringIO()
    argv = ("eval", str(path), "--retrieval-only", "--json", "--no-progress", "--out", str(tmp_path / "o"))
    assert run_lab_command(svc, parse(*argv), out) == 0
    groups = json.loads(out.getvalue())["groups"]
    assert set(groups) >= {"mix", "mix [en]", "mix [zh]"}
    m = groups["mix"]["guarded"]
    assert m["model_called"] == 0 and m["answerable_refused"] == 0.0 and m["refusal_rate"] == 1.0
    assert m["recall_at_1"] == 1.0 and m["recall_at_k"] == 1.0
    assert "raw" not in groups["mix"]  # --retrieval-only runs the guarded column only


def test_eval_against_another_collection(service, tmp_path: Path) -> None:
    svc, _ = service()
    other = svc.derive(collection="other", docs_dir=tmp_path / "other-docs")
    (tmp_path / "other-docs").mkdir()
    (tmp_path / "other-docs" / "bread.md").write_text("Bake sourdough bread with a starter.", encoding="utf-8")
    other.ingest()
    path = write_jsonl(
        tmp_path / "q.jsonl", [{"id": "u", "question": "How do I bake sourdough bread?", "lang": "en", "type": "unanswerable"}]
    )
    outcome = evaluate(
        svc, [str(path)], out=tmp_path / "o", retrieval_only=True, against="other", progress=False, modes=("guarded",)
    )
    [record] = outcome.records
    assert not record.declined  # answerable there, though not in the user's own collection
    assert outcome.report.meta.collection == "other"


def grounding_item(answer: str, label: str, anchor: str = "11434", category: str = "paraphrase") -> EvalItem:
    return EvalItem(
        dataset="grounding",
        id=hashlib.sha256(answer.encode()).hexdigest()[:8],
        question="Which port does Ollama listen on?",
        kind=label,  # type: ignore[arg-type]
        lang="en",
        expected_sources=("ollama-port.md",),
        answer=answer,
        anchor=anchor,
        category=category,
    )


@pytest.mark.parametrize(
    ("answer", "label", "flagged"),
    [
        ("Ollama listens on port 11434 unless OLLAMA_HOST says otherwise.", "supported", False),
        ("Ollama listens on port 8080.", "unsupported", True),
        ("Which port does Ollama listen on?", "unsupported", True),
        ("11434:11434:11434:11434:11434:11434:11434:11434", "unsupported", True),
    ],
)
def test_grounding_record_runs_the_output_guardrails_on_the_given_answer(service, tmp_path, answer, label, flagged) -> None:
    svc, _ = service()
    record = grounding_record(svc, grounding_item(answer, label), svc.settings.docs_dir)
    assert record.flagged is flagged and record.llm_calls == 0
    assert (record.reason is not None) is flagged


def test_grounding_passage_must_exist(service) -> None:
    svc, _ = service()
    with pytest.raises(ValueError, match="anchor"):
        passage_chunk(grounding_item("x", "supported", anchor="no such text"), svc.settings.docs_dir)


@pytest.mark.parametrize(
    ("name", "langs"),
    [(n, {"zh", "en", "cross"}) for n in ("grounding", "grounding3", "grounding4", "grounding5")]
    + [("grounding6", {"cross"})],  # a sixth author's: every answer in the other language than its passage
)
def test_the_bundled_grounding_set_resolves_every_passage_to_one_chunk(name: str, langs: set[str]) -> None:
    items = resolve(name, eval_dir=REPO / "data" / "eval") or []
    assert len(items) >= 100 and {i.lang for i in items} == langs
    assert {i.kind for i in items} == {"supported", "unsupported"}
    for item in items:
        assert item.answer and passage_chunk(item, REPO / "data" / "docs").label == "S1"
        text = (REPO / "data" / "docs" / item.expected_sources[0]).read_text(encoding="utf-8")
        holding = [d for d in chunk_text(text, source=item.expected_sources[0]) if item.anchor and item.anchor in d.text]
        assert len(holding) == 1, f"{item.id}: its anchor is in {len(holding)} chunks (chunks overlap); make it unique"


# -- splits: a hash of the item key, fixed forever -----------------------------------------------------
def test_split_of_is_a_fixed_function_of_the_key() -> None:
    assert [split_of(k) for k in ("golden/g001", "natural/nz001", "grounding/grz001", "general/ge001")] == [
        split_of("golden/g001"),
        split_of("natural/nz001"),
        split_of("grounding/grz001"),
        split_of("general/ge001"),
    ]
    expected = {
        k: ("tune" if int(hashlib.sha256(k.encode()).hexdigest(), 16) % 2 == 0 else "report") for k in ("a", "b/c", "中文")
    }
    assert {k: split_of(k) for k in expected} == expected


# Pinned sizes of every labelled set's split: renaming ids, or moving an item between splits by any other
# route, changes them and fails here (tune on one split, report on the other, never move an item).
PINNED = {
    "golden": (16, 24),
    "natural": (62, 68),
    "short": (38, 40),
    "jailbreak_zh": (32, 28),
    "unanswerable": (10, 15),
    "near_domain": (17, 15),
    "grounding": (79, 95),  # 111 original (54 / 57) + 51 for #11 (19 / 32) + 7 numbers (4 / 3) + 5 names (2 / 3)
    "general": (100, 99),
    "vague2": (106, 134),
    "natural2": (98, 102),
    "grounding2": (75, 85),
    "grounding3": (73, 52),  # a third author's answers, measured whole once (data/eval/README.md)
    "grounding4": (48, 75),  # a fourth author's answers, chat-model style (data/eval/README.md)
    "grounding5": (63, 77),  # a fifth author's answers, plain English chat-model style (data/eval/README.md)
    "grounding6": (81, 78),  # a sixth author's answers, all across languages (data/eval/README.md)
    "injection2": (144, 156),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_split_sizes_are_pinned(name: str) -> None:
    items = resolve(name, eval_dir=REPO / "data" / "eval") or []
    assert len({i.id for i in items}) == len(items), "ids must be unique within a set"
    sizes = (len(select(items, split="tune")), len(select(items, split="report")))
    assert sizes == PINNED[name]


def test_every_team_set_is_split(tmp_path: Path) -> None:
    for name in TEAM_SETS:
        items = resolve(name, eval_dir=REPO / "data" / "eval") or []
        assert {split_of(i.key) for i in items} == {"tune", "report"}, name
