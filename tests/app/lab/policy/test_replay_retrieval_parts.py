"""Replay of the retrieval stage judges as the chain now runs it: the checks that leave passages out first, then
relevance on the passages kept. Traces recorded in two parts replay exactly; a trace recorded before the split
(one capture where relevance saw every passage, a planted one included) replays to what the chain now decides."""

from __future__ import annotations

from app import replay_traces
from app.lab.policy.decisions import Rechecker
from app.lab.policy.labels import make_label
from app.lab.policy.sweeps import cases_from_traces
from guardrails import Chunk, GuardContext, load_policy, run_guardrail
from guardrails.context_injection import ContextInjectionGuardrail
from guardrails.relevance import RelevanceGuardrail
from tests.app.lab.policy.conftest import GOOD, chain_record, reply
from tests.app.lab.policy.test_replay import assert_recomputes_exactly
from tests.planted import PLANTED, Q

DEFAULT = load_policy()
NO_FILTER = DEFAULT.with_overrides({"context_injection": {"enabled": False}})
OFF_TOPIC = Chunk(
    chunk_id="b1", source="bread.md", text="A sourdough starter needs flour and water, fed daily.", score=0.08, lexical=0.0
)
PORT = Chunk(chunk_id="o1", source="ollama-install.md", text="Ollama listens on port 11434 by default.", score=0.81, lexical=0.7)


def whole_capture_record(record):
    """`record` as the chain recorded it before the split: one retrieval capture where every check saw every
    retrieved passage (relevance decided on the planted one too), and the outcome that gave: answered."""
    captures = record.inputs.captures
    filtered = next(c for c in captures if c.stage == "retrieval" and c.part == "filter")
    ctx: GuardContext = filtered.context
    verdicts = (run_guardrail(RelevanceGuardrail(), ctx), run_guardrail(ContextInjectionGuardrail(), ctx))
    whole = filtered.model_copy(update={"part": "whole", "verdicts": verdicts})
    kept = tuple(c for c in captures if c.stage != "retrieval")
    old_inputs = record.inputs.model_copy(update={"captures": (kept[0], whole, *kept[1:])})
    return record.model_copy(update={"inputs": old_inputs, "status": "answered", "trace_id": "old"})


def test_a_two_part_trace_with_a_planted_passage_replays_exactly():
    record = chain_record(DEFAULT, Q, [PLANTED, OFF_TOPIC])
    assert record.status == "refused"
    assert_recomputes_exactly(record)
    mixed = chain_record(DEFAULT, Q, [PLANTED, PORT], [GOOD], trace_id="mixed")
    assert mixed.status == "answered"
    assert_recomputes_exactly(mixed)


def test_a_trace_recorded_before_the_split_replays_to_what_the_chain_now_decides():
    now = chain_record(DEFAULT, Q, [PLANTED, OFF_TOPIC], trace_id="now")
    old = whole_capture_record(now)
    assert next(v for c in old.inputs.captures for v in c.verdicts if v.name == "relevance").fired is False
    report = replay_traces([old], DEFAULT)  # the same policy: only the order of the checks is new
    assert [(f.guardrail, f.before, f.after) for f in report.flipped] == [("relevance", "passed", "fired")]
    assert report.outcome_changes == ["old"] and report.outcomes[0].after == now.status == "refused"
    assert "relevance" in report.outcomes[0].reason
    # what the replay decided relevance on: the passages the chain keeps, as in the live trace
    whole = Rechecker(DEFAULT).recheck_all(old.inputs.captures, DEFAULT.with_overrides({}))[1]
    live = next(v for c in now.inputs.captures for v in c.verdicts if v.name == "relevance")
    assert whole.after["relevance"].model_dump(exclude={"duration_ms"}) == live.model_dump(exclude={"duration_ms"})


def test_turning_the_filter_on_in_a_replay_judges_relevance_on_what_it_keeps():
    off = chain_record(NO_FILTER, Q, [PLANTED, OFF_TOPIC], [reply("The port is 1234.", "S1")], trace_id="off")
    assert off.status == "answered"  # nothing dropped: the planted passage vouched for itself
    assert [c.part for c in off.inputs.captures if c.stage == "retrieval"] == ["judge"]
    report = replay_traces([off], DEFAULT)
    assert {(f.guardrail, f.before, f.after) for f in report.flipped} == {
        ("context_injection", "off", "fired"),
        ("relevance", "passed", "fired"),
    }
    assert report.outcome_changes == ["off"] and report.outcomes[0].after == "refused"
    assert report.outcomes[0].after == chain_record(DEFAULT, Q, [PLANTED, OFF_TOPIC]).status


def test_turning_the_filter_off_in_a_replay_judges_relevance_on_every_passage():
    refused = chain_record(DEFAULT, Q, [PLANTED, OFF_TOPIC], trace_id="on")
    assert [c.part for c in refused.inputs.captures if c.stage == "retrieval"] == ["filter", "judge"]
    report = replay_traces([refused], NO_FILTER)
    assert {(f.guardrail, f.before, f.after) for f in report.flipped} == {
        ("context_injection", "fired", "off"),
        ("relevance", "fired", "passed"),
    }
    assert report.needs_model == ["on"]  # the planted passage would now reach the model: a reply never made
    # every passage quarantined: relevance never ran; without the filter it decides on the passage the filter held
    quarantined = chain_record(DEFAULT, Q, [PLANTED], trace_id="all")
    assert quarantined.status == "refused"
    unfiltered = replay_traces([quarantined], NO_FILTER)
    assert {(f.guardrail, f.before, f.after) for f in unfiltered.flipped} == {
        ("context_injection", "fired", "off"),
        ("relevance", "off", "passed"),
    }
    assert unfiltered.needs_model == ["all"]


def test_a_relevance_sweep_rechecks_the_passages_relevance_saw():
    record = chain_record(DEFAULT, Q, [PLANTED, OFF_TOPIC])
    label = make_label(record, "relevance", correct=True)
    labelled = record.model_copy(update={"labels": (label,)})
    cases = cases_from_traces([labelled], "relevance")
    assert [[c.chunk_id for c in case.context.chunks] for case in cases] == [["b1"]]
