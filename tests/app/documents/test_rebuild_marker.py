"""An `ingest --rebuild` stopped midway (Ctrl-C, a kill) left an index holding only part of the documents, and
nothing said so: doctor reported `[ok]`, questions about the rest were refused as "not in your documents". The
rebuild's marker (app.documents.rebuild_marker) is what every report of the index's health reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.documents.index import DocumentIndex
from app.documents.ingest import ingest_paths
from app.documents.ingest_types import IngestProgress
from app.documents.rebuild_marker import REBUILD_NAME
from tests.fake_embeddings import BagOfWordsEmbeddings

MB = 1024 * 1024
DOCS = {f"doc{i}.md": f"# Topic {i}\n\nDocument number {i} talks about subject{i} at length." for i in range(5)}


def _docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _stop_at(n: int) -> Callable[[IngestProgress], None]:
    def progress(p: IngestProgress) -> None:
        if p.stage == "load" and p.done == n:
            raise KeyboardInterrupt  # Ctrl-C while the third file is read

    return progress


def _ingest(index: DocumentIndex, emb: BagOfWordsEmbeddings, docs: Path, **kwargs: object) -> None:
    ingest_paths([docs], index=index, embeddings=emb, root=docs, max_bytes=MB, **kwargs)  # type: ignore[arg-type]


def _interrupted(index: DocumentIndex, emb: BagOfWordsEmbeddings, docs: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        _ingest(index, emb, docs, rebuild=True, progress=_stop_at(2))


def _killed(index: DocumentIndex, _emb: BagOfWordsEmbeddings, _docs: Path) -> None:
    # What a SIGKILL after reset() leaves: the marker (written before the drop), and no process holding the lock.
    index.reset()


def _garbled(index: DocumentIndex, emb: BagOfWordsEmbeddings, docs: Path) -> None:
    _interrupted(index, emb, docs)
    (Path(index.location) / REBUILD_NAME).write_text("{not json", encoding="utf-8")


def _then_ingest(index: DocumentIndex, emb: BagOfWordsEmbeddings, docs: Path) -> None:
    _interrupted(index, emb, docs)
    _ingest(index, emb, docs)  # an ordinary ingest: the rebuild it follows still did not finish


def _then_rebuild(index: DocumentIndex, emb: BagOfWordsEmbeddings, docs: Path) -> None:
    _interrupted(index, emb, docs)
    _ingest(index, emb, docs, rebuild=True)


def _completed(index: DocumentIndex, emb: BagOfWordsEmbeddings, docs: Path) -> None:
    _ingest(index, emb, docs, rebuild=True)


def _interrupted_plain(index: DocumentIndex, emb: BagOfWordsEmbeddings, docs: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        _ingest(index, emb, docs, progress=_stop_at(2))  # not a rebuild: what it had indexed is still there


CASES = [
    ("rebuild interrupted by Ctrl-C", _interrupted, True),
    ("rebuild killed after its reset", _killed, True),
    ("marker unreadable", _garbled, True),
    ("an ordinary ingest after the interrupted rebuild", _then_ingest, True),
    ("a completed rebuild after the interrupted one", _then_rebuild, False),
    ("a completed rebuild", _completed, False),
    ("an interrupted ordinary ingest", _interrupted_plain, False),
]


@pytest.mark.parametrize(("name", "setup", "unfinished"), CASES, ids=[c[0] for c in CASES])
def test_an_unfinished_rebuild_is_reported_until_a_rebuild_completes(
    tmp_path: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings, name: str, setup, unfinished: bool
) -> None:
    docs = _docs(tmp_path)
    _ingest(index, emb, docs)
    setup(index, emb, docs)
    said = index.unfinished_rebuild()
    found = index.integrity(sample=5)
    if unfinished:
        assert said is not None and said.startswith("the last rebuild did not finish"), (name, said)
        assert "run `guarded-rag ingest --rebuild` again" in said and str(tmp_path) not in said
        assert not found.ok and found.unfinished == said and found.fix == "guarded-rag ingest --rebuild", found
        assert found.summary.startswith("INCOMPLETE: the last rebuild did not finish"), found.summary
    else:
        assert said is None, (name, said)
        assert found.ok and found.unfinished is None and "INCOMPLETE" not in found.summary, found


def test_a_rebuild_running_now_is_not_called_unfinished(tmp_path: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings) -> None:
    docs = _docs(tmp_path)
    seen: list[tuple[str | None, str | None]] = []

    def progress(p: IngestProgress) -> None:
        if p.stage == "load" and p.done == 2:
            seen.append((index.unfinished_rebuild(), index.rebuilding()))

    _ingest(index, emb, docs, rebuild=True, progress=progress)
    [(unfinished, rebuilding)] = seen
    assert unfinished is None and rebuilding is not None  # `rebuilding` says it while it runs
    assert index.unfinished_rebuild() is None
