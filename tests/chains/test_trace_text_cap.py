"""The trace keeps at most TRACE_TEXT_MAX_CHARS of any one text: TraceEvent caps its own fields, so a huge model
reply (or an error body) cannot make a huge trace whichever step recorded it."""

from __future__ import annotations

from uuid import uuid4

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from chains.trace import TRACE_TEXT_MAX_CHARS, TraceCollector, TraceEvent, capped_text

BIG = "x" * (10 * 1024 * 1024)


def test_a_short_text_is_kept_as_it_is():
    assert capped_text("short") == "short"
    exact = "y" * TRACE_TEXT_MAX_CHARS
    assert capped_text(exact) is exact


def test_a_long_text_keeps_its_beginning_and_says_how_long_it_was():
    cut = capped_text("ab" + BIG)
    assert len(cut) <= TRACE_TEXT_MAX_CHARS
    assert cut.startswith("abxxx")
    assert f"{len(BIG) + 2} characters in all" in cut
    assert capped_text(cut) == cut  # capping twice (a trace read back and validated again) changes nothing


def test_every_text_field_of_an_event_is_capped():
    event = TraceEvent(
        step="parse",
        name="parse_ladder",
        outcome="fired",
        reason=BIG,
        raw_output=BIG,
        evidence=("fine", BIG),
        parsed_output={"answer": BIG, "citations": ["S1", BIG]},
        details={"repaired_text": BIG, "nested": {"deeper": [BIG]}, "score": 0.5, "short": "kept"},
    )
    assert len(event.model_dump_json()) < 8 * TRACE_TEXT_MAX_CHARS
    assert event.raw_output is not None and event.raw_output.startswith("xxx") and "characters in all" in event.raw_output
    assert event.evidence[0] == "fine" and len(event.evidence[1]) <= TRACE_TEXT_MAX_CHARS
    assert event.details["score"] == 0.5 and event.details["short"] == "kept"
    assert len(event.details["nested"]["deeper"][0]) <= TRACE_TEXT_MAX_CHARS
    assert event.parsed_output is not None and event.parsed_output["citations"][0] == "S1"
    # read back from its JSON (a stored or imported trace): the same event
    assert TraceEvent.model_validate_json(event.model_dump_json()) == event


def test_small_events_are_left_untouched():
    details = {"action": "pass", "score": 0.9, "evidence": ["a", "b"]}
    event = TraceEvent(step="output", name="grounding", outcome="passed", reason="ok", evidence=("e",), details=details)
    assert event.details == details and event.evidence == ("e",) and event.reason == "ok"


def test_the_collector_caps_a_model_reply_it_observes():
    collector = TraceCollector()
    run = uuid4()
    collector.on_chat_model_start({}, [[]], run_id=run, invocation_params={"model": "m"})
    collector.on_llm_end(LLMResult(generations=[[ChatGeneration(message=AIMessage(BIG))]]), run_id=run)
    (event,) = collector.events
    assert event.name == "model_call" and event.raw_output is not None and len(event.raw_output) <= TRACE_TEXT_MAX_CHARS
