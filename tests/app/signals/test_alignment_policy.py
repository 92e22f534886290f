"""The grounding_similarity signal aligns the clauses of an answer in another language than its passages only when
the policy runs a check that reads the pairs (the cross-language comparison or the cross-language number check,
both off as shipped); with neither, the alignment would be spent for nothing.
Off, the signal says it did not align, so the guardrail and the policy lab's replay under a policy that turns it
on say the alignment was not recorded instead of passing on no pairs. The service's requests (ask, check_answer)
get the scorer set for their policy."""

from __future__ import annotations

from pathlib import Path

from app import AskOptions, TraceFilter, replay_traces
from app.signals import SignalBank
from app.signals.grounding import GroundingSimilarity
from guardrails import Chunk, GuardContext, load_policy
from guardrails.crosslingual import ALIGNED_KEY, UNALIGNED_KEY
from guardrails.grounding import GroundingGuardrail
from tests.app.lab.policy.conftest import GOOD_ZH, chain_record, reply
from tests.app.signals.test_cross_alignment import PASSAGE, WRONG, ScriptedEmbedder
from tests.fake_service import make_service

SHIPPED = load_policy()  # check_cross_language = false, check_cross_numbers = false
OFF = SHIPPED.with_overrides({"grounding": {"check_cross_numbers": False}})  # no check reads the pairs (as shipped)
ON = OFF.with_overrides({"grounding": {"check_cross_language": True}})
CLAUSE = "Ollama has built-in login authentication"  # the first clause of WRONG


def _ctx(answer: str = WRONG) -> GuardContext:
    return GuardContext(question="q", chunks=(PASSAGE,), answer=answer, citations=("S1",))


def test_a_policy_reading_no_pairs_embeds_no_answer_clause_and_says_it_did_not_align() -> None:
    embedder = ScriptedEmbedder()
    bank = SignalBank((GroundingSimilarity(embedder),)).for_policy(OFF)
    signal = bank("output", _ctx())["grounding_similarity"]
    assert ALIGNED_KEY not in signal.details and "comparison was off" in str(signal.details[UNALIGNED_KEY])
    assert len(embedder.calls) == 1 and embedder.calls[0][0] == WRONG and CLAUSE not in embedder.calls[0]


def test_a_policy_that_compares_across_languages_aligns_with_the_same_vector_cache() -> None:
    embedder = ScriptedEmbedder()
    scorer = GroundingSimilarity(embedder)
    on = scorer.for_policy(ON)
    assert on.align and on.vectors is scorer.vectors and scorer.for_policy(OFF) is scorer
    signal = on.score(_ctx())
    assert signal is not None and UNALIGNED_KEY not in signal.details
    assert signal.details[ALIGNED_KEY][0]["claim"] == CLAUSE
    # contradictions off, or grounding off: nothing would read the pairs
    no_contradictions = ON.with_overrides({"grounding": {"check_contradictions": False}})
    assert not scorer.for_policy(no_contradictions).align
    assert not scorer.for_policy(ON.with_overrides({"grounding": {"enabled": False}})).align


def test_an_answer_in_its_passages_language_is_not_marked() -> None:
    signal = GroundingSimilarity(ScriptedEmbedder()).score(_ctx("注意 Ollama 本身没有登录认证，要配置防火墙。"))
    assert signal is not None and UNALIGNED_KEY not in signal.details and ALIGNED_KEY not in signal.details


def test_the_guardrail_says_the_alignment_was_not_recorded() -> None:
    ctx = _ctx()
    signal = GroundingSimilarity(ScriptedEmbedder()).score(ctx)
    verdict = GroundingGuardrail(check_cross_language=True).check(ctx.model_copy(update={"signals": {signal.name: signal}}))
    assert "clause alignment not recorded: the cross-language comparison was off" in verdict.reason
    off = GroundingGuardrail(check_cross_numbers=False).check(ctx.model_copy(update={"signals": {signal.name: signal}}))
    assert "alignment" not in off.reason  # nothing to say when the comparison is off anyway


def _record(policy, trace_id: str):
    bank = SignalBank((GroundingSimilarity(ScriptedEmbedder()),)).for_policy(policy)
    return chain_record(
        policy, "Is Ollama safe on 0.0.0.0?", [PASSAGE], [reply(WRONG, "S1")], reasks=0, signals=bank, trace_id=trace_id
    )


def test_a_trace_recorded_with_the_comparison_off_replays_with_it_on_as_not_recorded() -> None:
    off = _record(OFF, "off")
    report = replay_traces([off], ON)
    assert report.needs_model == ["off"]
    assert [(f.guardrail, f.before, f.after) for f in report.flipped] == [("grounding", "passed", "unknown")]
    reason = report.outcomes[0].reason
    assert "grounding: grounding_similarity has no clause alignment for this answer in another language" in reason
    assert "comparison was off" in reason
    unchanged = replay_traces([off], OFF, fresh=True)  # the same policy still recomputes what was stored
    assert not unchanged.flipped and not unchanged.needs_model and not unchanged.outcome_changes
    # recorded with it on, the pairs are there: the replay decides (and, with it off, the negation passes)
    on = _record(ON, "on")
    assert on.status != off.status
    assert replay_traces([on], ON, fresh=True).needs_model == []
    flips = replay_traces([on], OFF).flipped
    assert [(f.guardrail, f.before, f.after) for f in flips] == [("grounding", "fired", "passed")]


def _output_signal(svc, options: AskOptions | None):
    response = svc.ask("Which port does Ollama listen on by default?", options=options)
    svc.traces.flush()
    record = next(r for r in svc.traces.list(TraceFilter(limit=10), full=True) if r.trace_id == response.trace_id)
    output = [c for c in record.inputs.captures if c.stage == "output"]
    return output[0].context.signals["grounding_similarity"]


ON_OPTIONS = AskOptions(guardrails={"grounding": {"check_cross_language": True}})
OFF_OPTIONS = AskOptions(guardrails={"grounding": {"check_cross_numbers": False}})
NUMBERS_OPTIONS = AskOptions(guardrails={"grounding": {"check_cross_numbers": True}})


def test_the_service_sets_the_scorer_for_each_requests_policy(tmp_path: Path, monkeypatch) -> None:
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD_ZH] * 8})
    # ask: a Chinese answer over the English sample documents, as the trace kept its output signals
    off = _output_signal(svc, OFF_OPTIONS)
    assert ALIGNED_KEY not in off.details and UNALIGNED_KEY in off.details
    shipped = _output_signal(svc, None)  # as shipped: no check reads the pairs
    assert ALIGNED_KEY not in shipped.details and UNALIGNED_KEY in shipped.details
    numbers = _output_signal(svc, NUMBERS_OPTIONS)  # the cross-language number check reads them
    assert ALIGNED_KEY in numbers.details and UNALIGNED_KEY not in numbers.details
    turned_on = _output_signal(svc, ON_OPTIONS)
    assert ALIGNED_KEY in turned_on.details and UNALIGNED_KEY not in turned_on.details
    # check_answer (the grounding eval's path)
    seen: list[bool] = []
    score = GroundingSimilarity.score
    monkeypatch.setattr(GroundingSimilarity, "score", lambda self, ctx: seen.append(self.align) or score(self, ctx))
    chunk = Chunk(chunk_id="p", source="zh.md", label="S1", score=1.0, text=PASSAGE.text)
    svc.check_answer("q", "Ollama listens on port 11434.", [chunk], citations=["S1"], options=OFF_OPTIONS)
    svc.check_answer("q", "Ollama listens on port 11434.", [chunk], citations=["S1"], options=ON_OPTIONS)
    svc.check_answer("q", "Ollama listens on port 11434.", [chunk], citations=["S1"], options=NUMBERS_OPTIONS)
    svc.check_answer("q", "Ollama listens on port 11434.", [chunk], citations=["S1"])
    assert seen == [False, True, True, False]
