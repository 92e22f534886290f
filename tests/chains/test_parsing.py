"""The parse ladder, rung by rung, and a fuzz property: any text yields a typed answer or OutputParseError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chains import OutputParseError, parse_answer

GOOD = '{"answer": "Port 11434.", "citations": ["S1"]}'


@pytest.mark.parametrize(
    ("raw", "rung", "answer"),
    [
        (GOOD, "strict", "Port 11434."),
        ("```json\n" + GOOD + "\n```", "lenient", "Port 11434."),
        ("Sure! Here it is: " + GOOD + " Hope this helps.", "lenient", "Port 11434."),
        ('{"answer": "line one\nline two", "citations": []}', "lenient", "line one\nline two"),
        ('{"answer": "端口是 11434", "citations": ["S1"], "confidence": 0.99}', "strict", "端口是 11434"),
        ('{"answer": "Port 11434', "repair", "Port 11434"),
        ("{'answer': 'Port 11434.', 'citations': ['S1']}", "repair", "Port 11434."),
        # A fence inside the answer string is content, not a wrapper (a real SmolLM2 reply, shortened).
        (
            '{ "citations": ["S1"], "answer": "Set:\n```\nOLLAMA_KEEP_ALIVE=10m\n```\n这样" } ',
            "lenient",
            "Set:\n```\nOLLAMA_KEEP_ALIVE=10m\n```\n这样",
        ),
        ('Example: {"note": 1}\n```json\n' + GOOD + "\n```", "lenient", "Port 11434."),
        ('```json\n{"answer": "Port 11434", "citations": ["S1"\n```', "repair", "Port 11434"),
    ],
)
def test_rungs(raw: str, rung: str, answer: str) -> None:
    parsed = parse_answer(raw)
    assert parsed.rung == rung
    assert parsed.answer.answer == answer
    assert all(c.startswith("S") for c in parsed.answer.citations), parsed.answer.citations  # no fence debris
    assert parsed.repaired is (rung != "strict")


@pytest.mark.parametrize(
    "raw",
    ["", "I think the port is 11434.", "[1, 2, 3]", '{"answer": "", "citations": []}', '{"citations": ["S1"]}', "null"],
)
def test_unparseable_lists_every_rung(raw: str) -> None:
    with pytest.raises(OutputParseError) as info:
        parse_answer(raw, attempt=2)
    err = info.value
    assert err.raw == raw
    assert err.attempt == 2
    assert [e.split(":")[0] for e in err.rung_errors] == ["strict", "lenient", "repair"]


def test_confidence_from_model_is_not_kept() -> None:
    parsed = parse_answer('{"answer": "x y z", "citations": [], "confidence": 1.0, "needs_clarification": false}')
    assert "confidence" not in parsed.answer.model_dump()


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_fuzz_never_raises_anything_else(raw: str) -> None:
    try:
        parsed = parse_answer(raw)
    except OutputParseError:
        return
    assert parsed.answer.answer


def test_answer_cap_fits_num_predict():
    from chains import answer_chars_for, answer_json_schema

    assert answer_chars_for(512) == 149 and answer_chars_for(128) == 40 and answer_chars_for(8192) == 600
    for num_predict in (128, 256, 512, 2048):
        cap = answer_chars_for(num_predict)
        assert cap * 3 + 64 <= max(num_predict, 40 * 3 + 64)  # worst case 3 tokens/char plus the JSON around it
        assert answer_json_schema(["S1"], max_answer_chars=cap)["properties"]["answer"]["maxLength"] == cap


def test_a_hostile_reply_is_read_only_as_far_as_the_parse_cap() -> None:
    """10 MB of '{' took the balanced-object scan quadratic time (32,000 took 25 s): now each rung that is
    worse than linear reads only the reply's start, and the error says so. (Not a timed test: without the cap
    this call does not end within pytest's timeout.)"""
    from chains.errors import OutputParseError
    from chains.parsing import MAX_PARSE_CHARS

    with pytest.raises(OutputParseError, match=f"only its first {MAX_PARSE_CHARS:,} of 10,000,000 characters were read"):
        parse_answer("{" * 10_000_000)


def test_an_object_after_the_parse_cap_is_not_found_but_one_before_it_is() -> None:
    from chains.errors import OutputParseError
    from chains.parsing import MAX_PARSE_CHARS

    good = '{"answer": "Port 11434.", "citations": ["S1"]}'
    assert parse_answer("Sure! " * 100 + good + " x" * 20_000).answer.answer == "Port 11434."
    with pytest.raises(OutputParseError):
        parse_answer("y" * (MAX_PARSE_CHARS + 10) + good)


def test_the_object_scan_tries_a_bounded_number_of_starts() -> None:
    from chains.parsing import MAX_OBJECT_STARTS, first_json_object

    assert first_json_object("{" * (MAX_OBJECT_STARTS - 1) + "{}") == "{}"
    assert first_json_object("{ " * MAX_OBJECT_STARTS + "{}") is None


def test_a_padded_citation_label_is_the_label_it_pads():
    """A model without a grammar may write " S1"; the citations guardrail compares labels exactly (a padded label
    is no chunk's), so the chain trims them once, where the reply is parsed, and the answer keeps its source."""
    parsed = parse_answer('{"citations": [" S1", "S2 "], "answer": "Ollama listens on port 11434."}')
    assert parsed.answer.citations == ["S1", "S2"]
