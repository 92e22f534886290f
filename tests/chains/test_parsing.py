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
