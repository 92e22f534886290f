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


def test_a_history_that_leaves_no_room_for_a_passage_gives_way() -> None:
    """Found by a walkthrough: six legal 1,000-character turns filled a 2,048-token context, every passage was
    dropped, and the model was still asked (twice), with nothing to cite: the earliest turns now give way."""
    chunks = [Chunk(chunk_id=f"c{i}", source=f"d{i}.md", text=f"默认端口是 11434。第{i}段。" * 20, score=0.5) for i in range(3)]
    history = [Turn(role=("user", "assistant")[i % 2], content=f"第{i}轮：" + "很长的历史内容。" * 35) for i in range(6)]
    built = answer_prompt("默认端口是多少？", chunks, history=history, num_ctx=2048, num_predict=256)
    assert built.chunks and built.chunks[0].label == "S1"
    assert any(c.startswith("history: the ") and "earliest turn(s) left out" in c for c in built.cut)
    kept_history = [m.content for m in built.template_values["history"]]
    assert kept_history and kept_history[-1].startswith("第5轮")  # the latest turns stay
    roomy = answer_prompt("默认端口是多少？", chunks, history=history[:1], num_ctx=8192, num_predict=256)
    assert not any(c.startswith("history:") for c in roomy.cut) and len(roomy.template_values["history"]) == 1


def test_the_model_sees_an_absolute_source_by_its_file_name_only() -> None:
    """An upload is indexed under the server's path; the model repeats what it is shown, and answers go to remote
    clients too."""
    from chains.prompts import format_context

    chunks = [
        Chunk(chunk_id="a", source="/root/.guarded-rag/uploads/notes.md", text="Port 11434.", score=0.5, label="S1"),
        Chunk(chunk_id="b", source="guides/install.md", text="Install it.", score=0.5, label="S2"),
    ]
    shown = format_context(chunks)
    assert "[S1] (notes.md)" in shown and "/root" not in shown
    assert "[S2] (guides/install.md)" in shown
