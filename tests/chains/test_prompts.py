"""The answer prompt built directly (chains.prompts.qa_messages) is exactly what the LangChain template renders."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from chains.prompts import QA_PROMPT, qa_messages
from chains.recipe import answer_prompt
from guardrails import Chunk, Turn

HISTORY = [HumanMessage("earlier question with {braces}"), AIMessage("an earlier answer")]


@pytest.mark.parametrize(
    ("context", "question", "history"),
    [
        ("", "Which port does Ollama use?", []),
        ("[S1] (a.md)\n<<<\ntext with {braces} and {{doubled}}\n>>>", "What is {this}?", HISTORY),
        ("[S1] (zh.md)\n<<<\n默认端口是 11434。\n>>>", "Ollama 默认监听哪个端口？", HISTORY[:1]),
    ],
)
def test_direct_messages_equal_the_template(context: str, question: str, history: list) -> None:
    direct = qa_messages(context=context, question=question, history=history)
    assert direct == QA_PROMPT.format_messages(context=context, question=question, history=history)
    assert [type(m) for m in direct] == [
        type(m) for m in QA_PROMPT.format_messages(context=context, question=question, history=history)
    ]


def test_the_recipe_names_the_template_inputs_of_the_prompt_it_built() -> None:
    chunks = [Chunk(chunk_id=f"c{i}", source=f"d{i}.md", text=f"passage {i} with {{braces}}", score=0.5) for i in range(3)]
    history = [Turn(role="user", content="earlier"), Turn(role="assistant", content="answer")]
    built = answer_prompt("Which {port}?", chunks, history=history, num_ctx=2048, num_predict=128)
    assert list(built.messages) == QA_PROMPT.format_messages(**built.template_values)
    assert "passage 2" in built.template_values["context"]
