"""Bug hunt: a reasoning block the chat template opened. deepseek-r1's template ends the prompt with "<think>\\n", so
on an Ollama that does not split thinking the reply starts inside the block and only closes it: "…</think>\\n{…}".
split_thinking looked for an opening <think> only, so the whole reply went to the parse ladder, and a JSON draft
in the reasoning was taken as the answer."""

from __future__ import annotations

import json

import pytest

from chains import QARequest, run_qa
from chains.replies import split_thinking
from tests.fakes import scripted

Q = "Which port does Ollama listen on by default?"
ANSWER = "Ollama listens on port 11434 by default."
GOOD = json.dumps({"answer": ANSWER, "citations": ["S1"]})
DRAFT = json.dumps({"answer": "Ollama listens on port 8080.", "citations": ["S2"]})
REASONING = f"Okay, the user asks about the port. A first draft: {DRAFT}. No wait, S1 says 11434."


def test_a_reply_that_starts_inside_the_block_is_split_at_its_close():
    assert split_thinking(f"{REASONING}\n</think>\n\n{GOOD}") == (REASONING, GOOD)


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"answer": "Close the block with </think>.", "citations": ["S1"]}),  # an answer quoting the tag
        "```json\n" + json.dumps({"answer": "Close it with </think>.", "citations": ["S1"]}) + "\n```",
        "[" + GOOD + "]</think>",
    ],
)
def test_a_reply_that_opens_like_an_answer_is_not_reasoning(raw):
    assert split_thinking(raw) == ("", raw)


def test_the_answer_after_the_block_is_parsed_not_the_draft_inside_it(make_pipeline):
    llm = scripted(f"{REASONING}\n</think>\n\n{GOOD}")  # one reply: a re-ask would fail loudly
    pipe, _ = make_pipeline(("primary", llm, {}))
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "answered" and result.answer == ANSWER and [c.label for c in result.citations] == ["S1"]
    thinking = [e for e in result.events if e.name == "thinking"]
    assert len(thinking) == 1 and thinking[0].evidence == (REASONING,)
    parsed = next(e for e in result.events if e.name == "parse_ladder")
    assert parsed.raw_output == GOOD and parsed.details["rung"] == "strict"
