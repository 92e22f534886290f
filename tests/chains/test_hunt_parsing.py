"""Bug hunt: the parse ladder on replies that make json-repair fail with an AssertionError."""

from __future__ import annotations

import json

import pytest

from chains import OutputParseError, QARequest, parse_answer, run_qa
from tests.fakes import scripted

Q = "Which port does Ollama listen on by default?"
GOOD = json.dumps({"answer": "Ollama listens on port 11434 by default.", "citations": ["S1"]})
# json-repair 0.64 asserts on an object whose first key opens a ``` fence (a key it cannot read as a string)
TRIPS_JSON_REPAIR = '{"```json\n{"answer": ""}\n```'


@pytest.mark.parametrize("reply", [TRIPS_JSON_REPAIR, '{"```json\n[]\n```', '{"```json7```'])
def test_a_reply_json_repair_cannot_read_is_a_parse_failure_not_a_crash(reply):
    with pytest.raises(OutputParseError) as caught:
        parse_answer(reply)
    assert [e.split(":")[0] for e in caught.value.rung_errors] == ["strict", "lenient", "repair"]


def test_such_a_reply_is_reasked_not_an_internal_error(make_pipeline):
    """The AssertionError escaped the parse ladder and every fallback (they catch narrow tuples), so the question
    ended as an internal error instead of a re-ask."""
    llm = scripted(TRIPS_JSON_REPAIR, GOOD)
    pipe, _ = make_pipeline(("primary", llm, {}))
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "answered" and llm.remaining == 0
    assert [e.outcome for e in result.events if e.name == "parse_ladder"] == ["fired", "passed"]
