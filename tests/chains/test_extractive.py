"""The extractive fallback's quotes: the best-matching sentences of the passages, never the heading path the
chunker writes on a chunk's first line, with markdown emphasis removed (document text is shown escaped)."""

from __future__ import annotations

from chains.extractive import extract_answer
from guardrails import Chunk


def chunk(text: str, cid: str = "c1") -> Chunk:
    return Chunk(chunk_id=cid, source="modelfile.md", text=text, score=0.6, label="S1")


def test_the_heading_path_is_not_quoted_though_it_shares_the_question_words() -> None:
    passage = chunk(
        "Modelfile Reference > Where parameters can be set\n"
        "Parameters can be set in a Modelfile with PARAMETER lines. They can also be set per request in options."
    )
    found = extract_answer("Where can parameters be set in a Modelfile?", [passage])
    assert found is not None
    assert "Modelfile Reference" not in found.text and " > " not in found.text
    assert found.text.startswith("Parameters can be set in a Modelfile with PARAMETER lines.")


def test_a_chunk_without_a_heading_keeps_its_first_sentence() -> None:
    passage = chunk("Ollama listens on port 11434 by default.\nSet OLLAMA_HOST to change the address it binds to.")
    found = extract_answer("Which port does Ollama listen on by default?", [passage])
    assert found is not None and found.text.startswith("Ollama listens on port 11434 by default.")


def test_markdown_emphasis_is_removed_from_quotes() -> None:
    passage = chunk("端口\nOllama 默认监听 **11434** 端口。可以通过 __OLLAMA_HOST__ 修改。")
    found = extract_answer("Ollama 默认监听哪个端口？", [passage])
    assert found is not None and "**" not in found.text and "11434" in found.text
