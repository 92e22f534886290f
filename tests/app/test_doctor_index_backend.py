"""doctor names the index backend, and for a Chroma server that does not answer it says to start the server (not to
rebuild the index)."""

from __future__ import annotations

from pathlib import Path

from app.doctor import run_doctor
from app.documents.index_types import IndexStats
from app.documents.ingest import READER_VERSION
from app.documents.store import IndexUnavailableError
from app.models.backend import BackendChoice
from app.settings import Settings

CHOICE = BackendChoice(kind="embedded", model="smollm2:135m", reason="test", host="http://127.0.0.1:11434")


def down() -> IndexStats:
    raise IndexUnavailableError("the document index did not answer: counting chunks at the Chroma server at http://c:8000")


def test_local_directory_is_named_with_its_one_writer_rule(tmp_path: Path) -> None:
    report = run_doctor(settings=Settings(home=tmp_path), choice=CHOICE, index_stats=down, trace_count=lambda: 0)
    (backend,) = [c for c in report.checks if c.name == "index backend"]
    assert str(tmp_path / "index") in backend.detail and "one process writes at a time" in backend.detail
    (index,) = [c for c in report.checks if c.name == "index"]
    assert index.fix == "guarded-rag ingest --rebuild"


def test_a_chroma_server_is_named_and_a_dead_one_gets_the_right_fix(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, chroma_url="http://c:8000", chroma_token="s3cret")
    report = run_doctor(settings=settings, choice=CHOICE, index_stats=down, trace_count=lambda: 0)
    (backend,) = [c for c in report.checks if c.name == "index backend"]
    assert "Chroma server at http://c:8000 (with a bearer token" in backend.detail and "s3cret" not in report.model_dump_json()
    (index,) = [c for c in report.checks if c.name == "index"]
    assert not index.ok and index.fix == "start the Chroma server at http://c:8000 or correct GUARDED_RAG_CHROMA_URL"


def test_a_home_the_system_will_not_open_is_not_told_to_rebuild(tmp_path: Path) -> None:
    """Found with GUARDED_RAG_HOME pointing at a file: "Not a directory", and the fix said to rebuild the index."""
    home = tmp_path / "afile"
    home.write_text("", encoding="utf-8")

    def blocked() -> IndexStats:
        raise NotADirectoryError(20, "Not a directory", str(home / "index"))

    report = run_doctor(settings=Settings(home=home), choice=CHOICE, index_stats=blocked, trace_count=lambda: 0)
    (index,) = [c for c in report.checks if c.name == "index"]
    assert not index.ok and "Not a directory" in index.detail
    assert index.fix == (
        f"make {home / 'index'} a folder this user can write (the error says what is in the way), "
        "or point GUARDED_RAG_HOME at another folder"
    )


def _stats(readers: dict[int, int]) -> IndexStats:
    return IndexStats(
        collection="docs", count=9, documents=sum(readers.values()), embedder_id="e", dimension=8, path="p", readers=readers
    )


def test_documents_an_older_reader_made_are_named_with_how_they_get_read_again(tmp_path: Path) -> None:
    old = run_doctor(
        settings=Settings(home=tmp_path),
        choice=CHOICE,
        index_stats=lambda: _stats({0: 2, READER_VERSION: 3}),
        trace_count=lambda: 0,
    )
    (reader,) = [c for c in old.checks if c.name == "index reader"]
    assert reader.ok and "2 of 5 documents" in reader.detail and "guarded-rag ingest" in reader.detail
    current = run_doctor(
        settings=Settings(home=tmp_path), choice=CHOICE, index_stats=lambda: _stats({READER_VERSION: 5}), trace_count=lambda: 0
    )
    assert not [c for c in current.checks if c.name == "index reader"]
