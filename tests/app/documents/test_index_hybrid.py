"""Hybrid search through DocumentIndex (real Chroma in tmp_path, bag-of-words embeddings): both scores on every
chunk, exact identifiers first, and the lexical index consistent with Chroma after ingest, delete, reset, a
lost file and a write by another DocumentIndex ("another process") on the same directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents.chunking import chunk_text
from app.documents.index import DocumentIndex
from app.documents.ingest import ingest_paths
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket

CORPUS = {
    "env-zh.md": "# 环境变量\n\nOLLAMA_KEEP_ALIVE 控制模型空闲后在内存中保留多久，默认 5 分钟。OLLAMA_NUM_PARALLEL 决定并行请求数。",
    "port.md": "# Port\n\nOllama listens on port 11434 by default. Change it with OLLAMA_HOST.",
    "errors.md": '# Errors\n\nA missing model returns HTTP 404 with "model not found, try pulling it first".',
    "bread.md": "# Bread\n\nBake bread with flour, water and yeast for forty minutes.",
}


def _index(path: Path, *, hybrid: bool = True) -> DocumentIndex:
    return DocumentIndex(path=path, collection="docs", embeddings=BagOfWordsEmbeddings(), hybrid=hybrid)


def _ingest(index: DocumentIndex, folder: Path) -> None:
    ingest_paths([folder], index=index, embeddings=BagOfWordsEmbeddings(), root=folder, max_bytes=10**6)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "env-zh.md"),
        ("What does OLLAMA_NUM_PARALLEL set?", "env-zh.md"),
        ("model not found, try pulling it first", "errors.md"),
        ("11434", "port.md"),
    ],
)
def test_hybrid_puts_exact_terms_first_with_both_scores(tmp_path: Path, docs: Path, question: str, source: str) -> None:
    index = _index(tmp_path / "idx")
    _ingest(index, docs)
    found = index.search(question, 3)
    assert found[0].source == source
    assert found[0].lexical is not None and found[0].lexical > 0 and found[0].lexical_rank == 1
    assert all(c.lexical is not None and 0.0 <= c.score <= 1.0 for c in found)


def test_vector_mode_has_no_lexical_scores(tmp_path: Path, docs: Path) -> None:
    index = _index(tmp_path / "idx", hybrid=False)
    _ingest(index, docs)
    assert all(c.lexical is None and c.dense_rank is None for c in index.search("11434", 3))


def test_bm25_only_hit_gets_its_cosine_measured(tmp_path: Path, docs: Path) -> None:
    index = _index(tmp_path / "idx")
    _ingest(index, docs)
    by_source = {c.source: c for c in index.search("flour", 4)}
    bread = by_source["bread.md"]
    assert bread.lexical_rank == 1 and bread.score > 0  # from its stored vector, not a placeholder


def test_lexical_index_follows_ingest_delete_and_reset(tmp_path: Path, docs: Path) -> None:
    index = _index(tmp_path / "idx")
    _ingest(index, docs)
    assert {c.source for c in index.search("flour yeast", 4)} >= {"bread.md"}
    assert index.question_terms("flour nginx") == (("flour", "nginx"), ("nginx",))
    index.delete_document("bread.md")
    assert "bread.md" not in {c.source for c in index.search("flour yeast", 4)}
    assert index.question_terms("flour") == (("flour",), ("flour",))
    (docs / "bread.md").write_text("# Bread\n\nSourdough needs a starter culture.", encoding="utf-8")
    _ingest(index, docs)
    assert index.search("sourdough starter", 1)[0].source == "bread.md"
    index.reset()
    assert index.search("sourdough", 3) == []
    assert index.question_terms("sourdough") == (("sourdough",), ("sourdough",))


def test_lost_lexical_file_is_rebuilt_from_chroma(tmp_path: Path, docs: Path) -> None:
    index = _index(tmp_path / "idx")
    _ingest(index, docs)
    (tmp_path / "idx" / "lexical" / "docs.json").unlink()
    fresh = _index(tmp_path / "idx")
    assert fresh.search("OLLAMA_NUM_PARALLEL", 1)[0].source == "env-zh.md"
    assert (tmp_path / "idx" / "lexical" / "docs.json").exists()


@pytest.mark.parametrize("flushed", [True, False], ids=["writer flushed", "writer died before flushing"])
def test_write_by_another_index_on_the_same_directory_is_seen(tmp_path: Path, docs: Path, flushed: bool) -> None:
    reader = _index(tmp_path / "idx")
    _ingest(reader, docs)
    assert reader.search("sourdough", 4)[0].lexical == 0.0  # nothing matches yet
    writer = _index(tmp_path / "idx")
    drafts = chunk_text("Sourdough needs a starter culture.", source="sour.md")
    writer.upsert_document("sour.md", "sha", drafts, BagOfWordsEmbeddings().embed_documents([d.text for d in drafts]))
    if flushed:
        writer.flush()  # else: the reader meets an id it does not know among the vector hits and resyncs
    top = reader.search("sourdough starter", 1)[0]
    assert top.source == "sour.md" and top.lexical and top.lexical > 0


def test_a_new_process_loads_the_persisted_bm25_index_instead_of_rereading_chroma(tmp_path: Path, docs: Path) -> None:
    _ingest(_index(tmp_path / "idx"), docs)
    fresh = _index(tmp_path / "idx")
    reads: list[int] = []
    original = fresh.rows

    def counting():
        reads.append(1)
        return original()

    fresh._lexical._store.rows = counting
    assert fresh.search("OLLAMA_NUM_PARALLEL", 1)[0].source == "env-zh.md"
    assert reads == []  # the fingerprint matched: loaded from disk, Chroma's documents not read


@pytest.mark.parametrize("hybrid", [True, False])
def test_a_passage_held_by_two_files_fills_one_place_not_two(tmp_path: Path, docs: Path, hybrid: bool) -> None:
    (docs / "port-copy.md").write_text(CORPUS["port.md"].replace(" by default.", "  by default.\n"), encoding="utf-8")
    index = _index(tmp_path / "idx", hybrid=hybrid)
    _ingest(index, docs)
    found = index.search("Which port does Ollama listen on? 11434", 3)
    assert len(found) == 3 and len({" ".join(c.text.split()) for c in found}) == 3
    assert sum(c.source in ("port.md", "port-copy.md") for c in found) == 1
