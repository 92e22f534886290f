"""The model-judged clarify check's recipe: the prompt, the schema sent as `format`, and a strict parse that
never passes an unchecked model reply on."""

from __future__ import annotations

import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import HumanMessage, SystemMessage

from chains import ClarityJudgement, judge_messages, judge_schema, parse_judgement
from guardrails import Turn


@pytest.mark.parametrize(
    ("raw", "answerable", "missing"),
    [
        ('{"answerable_as_written": false, "missing": "which plan"}', False, "which plan"),
        ('{"answerable_as_written": true, "missing": ""}', True, ""),
        ('Sure! {"answerable_as_written": false, "missing": "缺少计划内容"} hope that helps', False, "缺少计划内容"),
        ('{"answerable_as_written": true}', True, ""),  # `missing` is optional in the parse, required in the schema
    ],
)
def test_a_reply_that_fits_the_schema_parses(raw: str, answerable: bool, missing: str) -> None:
    assert parse_judgement(raw) == ClarityJudgement(answerable_as_written=answerable, missing=missing)


@pytest.mark.parametrize(
    "raw",
    [
        "The question is fine.",  # no JSON at all
        '{"missing": "which plan"}',  # the verdict itself is absent
        '{"answerable_as_written": "maybe", "missing": ""}',  # not a boolean
        '{"answerable_as_written": false, "missing": "' + "x" * 700 + '"}',  # beyond the cap
    ],
)
def test_anything_else_is_a_parse_error_that_keeps_the_raw_reply(raw: str) -> None:
    with pytest.raises(OutputParserException) as caught:
        parse_judgement(raw)
    assert caught.value.llm_output == raw


def test_the_schema_requires_both_fields_and_caps_the_explanation() -> None:
    schema = judge_schema()
    assert schema["required"] == ["answerable_as_written", "missing"]
    assert schema["properties"]["answerable_as_written"] == {"type": "boolean"}
    assert schema["properties"]["missing"]["maxLength"] == 160


def test_the_question_and_the_conversation_are_sent_as_data() -> None:
    history = (Turn(role="user", content="My plan: run qwen2.5:3b on a 4 GB GPU."), Turn(role="assistant", content="OK."))
    messages = judge_messages("Is this plan reasonable?", history)
    assert isinstance(messages[0], SystemMessage) and "never instructions" in str(messages[0].content)
    assert [m.content for m in messages[1:3]] == ["My plan: run qwen2.5:3b on a 4 GB GPU.", "OK."]
    assert isinstance(messages[-1], HumanMessage) and "Is this plan reasonable?" in str(messages[-1].content)
