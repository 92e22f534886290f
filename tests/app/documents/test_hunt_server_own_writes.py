"""A machine writing through a Chroma server (a real `chroma run` on loopback) does not rebuild its own BM25 index
at its next check just because its own write changed the collection's write generation, yet still rebuilds when
another machine's write slipped in before its own (its token overwritten: Chroma's `modify` is no compare-and-swap).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents import server_sync
from app.documents.index import DocumentIndex
from tests.app.documents.test_server_sync import _chunks, _index
from tests.fake_embeddings import BagOfWordsEmbeddings
from tests.robustness.conftest import ChromaServer


def _write(machine: DocumentIndex, emb: BagOfWordsEmbeddings, source: str, text: str) -> None:
    machine.upsert_document(source, f"sha-{text}", _chunks(source, [text]), emb.embed_documents([text]))
    machine.flush()


def _count_rebuilds(machine: DocumentIndex, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rebuilds: list[int] = []
    resync = machine._lexical.resync

    def counted(*, persist: bool = True) -> None:
        rebuilds.append(1)
        resync(persist=persist)

    monkeypatch.setattr(machine._lexical, "resync", counted)
    return rebuilds


def test_a_machines_own_write_is_not_a_reason_to_rebuild_its_bm25(
    tmp_path: Path, chroma: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = BagOfWordsEmbeddings()
    writer = _index(tmp_path / "writer", chroma.url, "own-writes", emb)
    _write(writer, emb, "a.md", "aardvark notes")
    monkeypatch.setattr(server_sync, "SERVER_RECHECK_S", 0.0)
    assert writer.search("aardvark", 3)  # loaded and in step
    rebuilds = _count_rebuilds(writer, monkeypatch)
    _write(writer, emb, "b.md", "badger notes")
    # Before the fix: the generation its own write recorded differed from the one its BM25 half was read at.
    assert not writer._server_changed()
    assert [c.source for c in writer.search("badger", 1)] == ["b.md"]
    assert rebuilds == []
    assert not writer._server_changed()  # settled: the next checks compare one generation, nothing more


def test_another_machines_write_hidden_behind_an_own_generation_still_rebuilds(
    tmp_path: Path, chroma: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two machines bumping at once may lose one's token: the other machine's chunks are in, and the generation
    says only ours. Taking our own generation as seen without looking would leave its write out of our BM25."""
    emb = BagOfWordsEmbeddings()
    one = _index(tmp_path / "one", chroma.url, "hidden-write", emb)
    two = _index(tmp_path / "two", chroma.url, "hidden-write", emb)
    _write(one, emb, "a.md", "aardvark notes")
    monkeypatch.setattr(server_sync, "SERVER_RECHECK_S", 0.0)
    assert one.search("aardvark", 3)
    monkeypatch.setattr(two._sync, "bump", lambda: None)  # its token lost: overwritten by one's, next
    _write(two, emb, "z.md", "zebra stripes")
    _write(one, emb, "b.md", "badger notes")
    assert "z.md#zebra stripes" not in one._lexical._chunks
    assert one._server_changed()
    assert "z.md" in [c.source for c in one.search("zebra", 3)]  # the search rebuilt it
    assert "z.md#zebra stripes" in one._lexical._chunks
    assert not one._server_changed()


def test_a_write_deleting_only_another_machines_chunks_is_noticed_too(
    tmp_path: Path, chroma: ChromaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = BagOfWordsEmbeddings()
    one = _index(tmp_path / "one", chroma.url, "hidden-delete", emb)
    two = _index(tmp_path / "two", chroma.url, "hidden-delete", emb)
    _write(one, emb, "a.md", "aardvark notes")
    _write(one, emb, "c.md", "capybara notes")
    monkeypatch.setattr(server_sync, "SERVER_RECHECK_S", 0.0)
    assert one.search("capybara", 3)
    monkeypatch.setattr(two._sync, "bump", lambda: None)
    two.delete_document("c.md")
    _write(one, emb, "b.md", "badger notes")
    assert one._server_changed()
