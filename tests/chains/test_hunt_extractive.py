"""Bug hunt: the extractive fallback must quote the document. Removing every ** and __ as emphasis quoted
"init.py" for "__init__.py", "MAXSIZE" for "MAX__SIZE" and "kwargs" for "**kwargs", and a list mark that needed no
space after it took the sign of "-1" and the "1." of "1.5 GB": words and numbers the passage does not hold."""

from __future__ import annotations

import pytest

from chains.context import fit_context
from chains.extractive import extract_answer
from chains.prompts import label_chunks
from guardrails import Chunk


def chunk(text: str) -> Chunk:
    return Chunk(chunk_id="c1", source="guide.md", text=text, score=0.9, label="S1")


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        ("Which file holds the package exports?", "The package exports live in its __init__.py file."),
        ("Which setting caps the upload size?", "The MAX__UPLOAD__SIZE setting caps the upload size."),
        ("How are extra options passed to the client?", "Extra options are passed to the client as **kwargs here."),
        ("How are extra options passed to the client?", "Extra options are passed to the client with f(**kwargs, **opts)."),
        ("What is the largest block size?", "The largest block size is 2**20 bytes."),
        ("How are extra options passed to the client?", "Extra options are passed to the client as `**kwargs` here."),
        ("What does a keep alive of -1 mean?", "-1 keeps the model loaded in memory forever."),
        ("How much memory does the model need?", "1.5 GB of memory is what the model needs."),
    ],
)
def test_a_quote_keeps_what_only_looks_like_emphasis(question, sentence):
    found = extract_answer(question, [chunk(sentence)])
    assert found is not None and found.text == sentence


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("Ollama listens on port **11434** by default.", "Ollama listens on port 11434 by default."),
        ("**Note:** Ollama listens on port 11434 by default.", "Note: Ollama listens on port 11434 by default."),
        ("Ollama 默认监听**11434**端口。", "Ollama 默认监听11434端口。"),
        ("- **Default:** Ollama listens on port 11434.", "Default: Ollama listens on port 11434."),
        ("1. Ollama listens on port **11434** by default.", "Ollama listens on port 11434 by default."),
    ],
)
def test_bold_marks_are_still_removed(text, quoted):
    found = extract_answer("Which port does Ollama listen on by default? Ollama 默认监听哪个端口", [chunk(text)])
    assert found is not None and found.text == quoted


KEEP_ALIVE_FACTS = "Some intro about the server. " * 28 + (
    "To unload a model at once, set keep_alive to zero; never set it to a negative value, which keeps the model loaded forever."
)


@pytest.mark.parametrize("num_ctx", range(1000, 1080, 8))
def test_a_sentence_the_context_budget_cut_is_not_quoted(num_ctx):
    """The prompt's passages are fitted to num_ctx, the last kept one truncated with " …": the fallback quoted its cut
    sentence, "To unload a model at once, set keep_ …", words the document does not hold."""
    chunks = label_chunks([chunk("Intro. " * 5), Chunk(chunk_id="c2", source="keep-alive.md", text=KEEP_ALIVE_FACTS, score=0.8)])
    fitted = fit_context(chunks, num_ctx=num_ctx, num_predict=256, fixed_text="x" * 1200)
    found = extract_answer("How do I unload a model at once with keep_alive?", fitted.chunks)
    assert found is None or all(sentence in KEEP_ALIVE_FACTS for sentence, _ in found.sentences)
