"""Bug hunt: hostile answer objects at the parse ladder: a blank answer, citations spelled the way a model without
a grammar (format="json") spells them, and what the re-ask is told about a reply with no JSON in it."""

from __future__ import annotations

import json

import pytest

from chains import OutputParseError, QARequest, parse_answer, parsing, run_qa
from tests.fakes import scripted

Q = "Which port does Ollama listen on by default?"
ANSWER = "Ollama listens on port 11434 by default."
GOOD = json.dumps({"answer": ANSWER, "citations": ["S1"]})


@pytest.mark.parametrize("blank", ["", "   ", "\n\t", "\u3000"])
def test_a_blank_answer_is_a_parse_failure(blank):
    with pytest.raises(OutputParseError, match="answer: String should have at least 1 character"):
        parse_answer(json.dumps({"answer": blank, "citations": ["S1"]}))


def test_a_blank_answer_is_reasked_not_shown_as_answered(make_pipeline):
    """It passed every output check (no claim to fail) and ended "answered" with an answer of three spaces."""
    llm = scripted(json.dumps({"answer": "   ", "citations": ["S1"]}), GOOD)
    pipe, _ = make_pipeline(("primary", llm, {}))
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "answered" and result.answer == ANSWER and llm.remaining == 0
    assert [e.outcome for e in result.events if e.name == "parse_ladder"] == ["fired", "passed"]


def test_an_answer_is_stripped():
    assert parse_answer(json.dumps({"answer": f"\n  {ANSWER} \n", "citations": ["S1"]})).answer.answer == ANSWER


@pytest.mark.parametrize(
    ("citations", "labels"),
    [
        ("S1", ["S1"]),
        ("S1, S2", ["S1", "S2"]),
        (["[S1]"], ["S1"]),
        (["s1"], ["S1"]),
        (["S01"], ["S1"]),
        ([" [ S2 ] "], ["S2"]),
        (["S1 (ollama-install.md)"], ["S1 (ollama-install.md)"]),  # not a label spelled otherwise: left to the check
        (["S99"], ["S99"]),
    ],
)
def test_a_label_spelled_another_way_is_the_label(citations, labels):
    assert parse_answer(json.dumps({"answer": ANSWER, "citations": citations})).answer.citations == labels


@pytest.mark.parametrize("citations", ["S1", ["[S1]"], ["s1"], ["S01"]])
def test_such_a_citation_answers_without_a_reask(make_pipeline, citations):
    """Before, the citations check fired on "[S1]" (no retrieved passage has that label) and a bare "S1" failed the
    parse: each cost a re-ask (the scripted model holds one reply, so a re-ask fails loudly)."""
    llm = scripted(json.dumps({"answer": ANSWER, "citations": citations}))
    pipe, _ = make_pipeline(("primary", llm, {}))
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "answered" and [c.label for c in result.citations] == ["S1"]
    assert result.citations[0].source == "ollama-install.md" and result.llm_calls == 1


@pytest.mark.parametrize("reply", ["", "   ", "The default port is 11434."])
def test_a_reply_with_no_json_is_told_so(reply):
    """The re-ask said "ValueError: ValueError: expected a JSON object, got str" (json-repair reads prose as "")."""
    with pytest.raises(OutputParseError) as caught:
        parse_answer(reply)
    assert str(caught.value).endswith("(ValueError: no JSON object found in the reply)")
    assert "ValueError: ValueError" not in caught.value.feedback
    assert caught.value.rung_errors[1:] == (
        "lenient: ValueError: no JSON object found in the reply",
        "repair: ValueError: no JSON object found in the reply",
    )


def test_a_deeply_nested_reply_is_not_handed_to_json_repair(monkeypatch):
    """16,000 '{' (within MAX_PARSE_CHARS) cost json-repair 2-3 s per attempt, on every re-ask."""

    def refuse(text: str) -> object:
        raise RuntimeError("json-repair was handed a reply nested thousands of levels deep")

    monkeypatch.setattr(parsing.json_repair, "loads", refuse)
    with pytest.raises(OutputParseError) as caught:
        parse_answer("{" * 16_000)
    assert caught.value.rung_errors[2] == (
        f"repair: ValueError: the reply nests brackets deeper than {parsing.MAX_REPAIR_DEPTH} levels; an answer object nests two"
    )


def test_brackets_inside_strings_do_not_count_as_nesting():
    quoted = "{" * 100 + "[" * 100
    cut = '{"citations": ["S1"], "answer": "Ollama reads ' + quoted + " on port 11434 and"  # cut off at num_predict
    parsed = parse_answer(cut)
    assert parsed.rung == "repair" and parsed.answer.answer == "Ollama reads " + quoted + " on port 11434 and"


@pytest.mark.parametrize(
    "reply",
    [
        "Use the {x: 1} form.\n" + GOOD,
        "In a Modelfile, TEMPLATE uses {{ .Prompt }}. " + GOOD,
        '{"note": "draft"}\n' + GOOD,
        '{"name": "answer", "arguments": ' + GOOD + "}",  # a tool-call shaped reply
    ],
)
def test_the_answer_object_after_another_balanced_object_is_found(reply):
    """The lenient rung took the first balanced {...} and gave up when it was not the answer; json-repair read the
    two objects as a list: every rung failed on a reply holding a valid answer object."""
    parsed = parse_answer(reply)
    assert parsed.rung == "lenient" and parsed.answer.answer == ANSWER and parsed.answer.citations == ["S1"]


def test_when_no_object_is_an_answer_the_first_ones_error_is_reported():
    with pytest.raises(OutputParseError) as caught:
        parse_answer('Note {"answer": 5} and {"citations": ["S1"]}')
    assert caught.value.rung_errors[1] == "lenient: answer: Input should be a valid string"
