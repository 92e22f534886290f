"""Forms of one word that Snowball left apart: an acronym's plural ("LLMs", "GPUs"), British -ise/-isation, a
hyphenated compound's inflection. The index and the question-coverage signal cut both with `terms`, so a
question saying "LLM" about documents saying "LLMs" has no unknown word; look-alikes that are other words stay
apart. An index persisted by the older tokenizer is rebuilt, never mixed with the new terms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.documents.lexical import ChunkRows, LexicalIndex
from app.documents.lexical_file import fingerprint
from app.documents.terms import terms


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("LLMs", "LLM"),
        ("llms", "llm"),
        ("GPUs", "GPU"),
        ("CPUs", "cpu"),
        ("SDKs", "SDK"),
        ("PDFs", "PDF"),
        ("APIs", "API"),  # Snowball already did this one
        ("quantisation", "quantization"),
        ("optimised", "optimized"),
        ("penalises", "penalize"),
        ("super-blocks", "super-block"),
        ("fine-tuning", "fine-tune"),
        ("多张 GPUs 怎么分配", "多张 GPU 怎么分配"),
        ("大模型 LLMs 的延迟", "大模型 LLM 的延迟"),
    ],
)
def test_forms_of_one_word_are_one_term(one: str, other: str) -> None:
    assert terms(one) == terms(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("HTTPS", "HTTP"),  # secure, not a plural
        ("DNS", "DN"),  # an acronym whose S is a word
        ("status", "statu"),
        ("corpus", "corpu"),
        ("plus", "plu"),
        ("ls", "l"),  # the command
        ("vs", "v"),
        ("raise", "raize"),  # too short a stem to be -ise
        ("gpt-4o", "gpt-4"),  # identifiers stay whole
    ],
)
def test_other_words_stay_apart(one: str, other: str) -> None:
    assert terms(one)[-1] != terms(other)[-1]


ROWS = [
    ("c1", "failures.md", "LLMs sometimes hang: set a timeout on every call."),
    ("c2", "gpu.md", "Ollama spreads layers over several GPUs."),
    ("c3", "bread.md", "Bake bread with flour, water and yeast."),
    ("c4", "zh.md", "多张 GPUs 时，Ollama 会把模型层分到各卡上。"),
]


@pytest.mark.parametrize(
    ("question", "best"),
    [
        ("llm calls sometimes take forever", "c1"),
        ("does ollama use more than one GPU?", "c2"),
        ("只有一个 GPU 时模型层怎么分到各卡", "c4"),
    ],
)
def test_a_singular_question_finds_the_plural_passage(tmp_path: Path, question: str, best: str) -> None:
    index = LexicalIndex(tmp_path / "docs.json", ChunkRows(lambda: [r[0] for r in ROWS], lambda: list(ROWS)))
    result = index.search(question, 2)
    assert result.ranked[0] == best
    assert not {"llm", "gpu"} & set(result.unknown)


def test_an_index_cut_by_the_older_tokenizer_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "docs.json"
    old = {cid: [cid, source, ["llms", "sometim", "hang"]] for cid, source, _ in ROWS}  # version 2 kept "llms"
    payload = {"format": 1, "terms_version": "2", "fingerprint": fingerprint(old), "chunks": list(old.values())}
    path.write_text(json.dumps(payload), encoding="utf-8")
    index = LexicalIndex(path, ChunkRows(lambda: [r[0] for r in ROWS], lambda: list(ROWS)))
    assert index.search("llm", 1).ranked == ("c1",)
    assert json.loads(path.read_text(encoding="utf-8"))["terms_version"] != "2"
