"""Ingest files and folders into the document index: load, chunk, scan, embed, upsert; idempotent.

App layer: the one writer of the index (see DocumentIndex). The CLI and the service call
`ingest_paths`; the injection scanner comes in as a plain callable so this module needs no guardrails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from app.documents.chunking import ChunkDraft, chunk_text
from app.documents.embeddings import IdentifiedEmbeddings, embedder_id_of
from app.documents.file_bytes import GONE_ERRNOS, read_bytes
from app.documents.index import DocumentIndex
from app.documents.index_types import DocumentInfo
from app.documents.ingest_types import INJECTION_FLAG, FlaggedChunk, IngestProgress, IngestReport
from app.documents.load_types import LoadProblem
from app.documents.loaders import parse_document, text_limit
from app.documents.store import IndexUnavailableError
from app.documents.walk import display, expand, expand_paths, is_gone, located, source_for, undisplay
from app.documents.writelock import OnWait

__all__ = [
    "INJECTION_FLAG",
    "READER_VERSION",
    "FlaggedChunk",
    "IngestProgress",
    "IngestReport",
    "expand_paths",
    "indexed_from",
    "ingest_paths",
    "source_for",
]

READER_VERSION = 8  # 2: UTF-16 without a byte-order mark is read; 3: Japanese/Korean legacy text is refused;
# 4: GBK text with Chinese punctuation is read, Latin-1 Western text is no longer read as GB18030 hanzi;
# 5: code fences follow CommonMark ("```x``` text" is no fence; an indented "    ```" closes none), and lines end at
# "\n" only (text after a form feed or U+2028 no longer starts a heading);
# 6: a PDF whose text is drawn in CID fonts without a ToUnicode map is refused, not indexed as gibberish
# 7: short Shift-JIS Japanese is refused, not indexed as GB18030 gibberish; CJK UTF-16 without a byte-order mark is
# read, not refused as binary; text with a NUL past the sniffed opening is refused, not indexed
# 8: short kanji-only EUC-JP and hangul-only EUC-KR are refused, not indexed as GB18030 gibberish
"""What reading and chunking (loaders.py, chunking.py) make of a file's bytes, stored with every chunk. A file
whose bytes are unchanged is skipped only when its chunks carry this version; otherwise it is read again, so a
reader fix reaches indexes built before it (bdf0891 stopped indexing binary files behind a byte-order mark as
text, but an unchanged file was never re-read). Re-reading that yields the same chunks keeps their vectors.
tests/app/documents/test_reader_version.py says when to bump it: when its samples read differently."""


def _path_of(source: str, root: Path | None) -> Path | None:
    if Path(source).is_absolute():
        return Path(source)
    return (root.resolve() / source) if root is not None else None


def _file_of(source: str, root: Path | None) -> Path | None:
    """The path on disk of the document `source`: its name as `walk.display` showed it, undone (a name that is not
    UTF-8 is stored escaped)."""
    return _path_of(os.fspath(undisplay(source)), root)


EMBED_BATCH = 512  # chunks per embedding call: one progress event each, so a large file shows it is moving


def _embed(
    drafts: list[ChunkDraft], embeddings: IdentifiedEmbeddings, notify: Callable[[IngestProgress], None], at: IngestProgress
) -> list[list[float]]:
    """The chunks' vectors, EMBED_BATCH at a time, with an `at` event (stage embed) before each batch and at the
    end (a 34 MB file is ~93,000 chunks and a quarter of an hour: a bar that only counts files sat at 0/1)."""
    texts = [d.text for d in drafts]
    vectors: list[list[float]] = []
    for start in range(0, len(texts), EMBED_BATCH):
        notify(at.model_copy(update={"chunks_done": start, "chunks_total": len(texts)}))
        vectors.extend(embeddings.embed_documents(texts[start : start + EMBED_BATCH]))
    notify(at.model_copy(update={"chunks_done": len(texts), "chunks_total": len(texts)}))
    return vectors


def _scan(drafts: list[ChunkDraft], source: str, scan: Callable[[str], str | None]) -> list[FlaggedChunk]:
    flagged = []
    for draft in drafts:
        try:
            reason = scan(draft.text)
        except Exception as exc:
            reason = f"scanner failed ({type(exc).__name__}); flagged to be safe"
        if reason:
            flagged.append(FlaggedChunk(source=source, chunk_id=draft.chunk_id, ordinal=draft.ordinal, reason=reason))
    return flagged


def _reject(problem: LoadProblem, *, known: dict[str, DocumentInfo], index: DocumentIndex, out: dict[str, Any]) -> None:
    """Record a file that cannot be indexed now. If an earlier version of it is indexed, drop those chunks:
    the file on disk no longer says what they say, and answers must not cite text the user has replaced. Unless
    the file merely could not be read this time (`transient`: permission denied, a read that hung): then what it
    says is unknown, and the earlier version stays rather than being lost to a permission change or a slow mount."""
    if problem.source in known and problem.transient:
        problem = problem.model_copy(update={"message": f"{problem.message} Its earlier version stays indexed."})
    elif problem.source in known:
        index.delete_document(problem.source)
        out["removed"].append(problem.source)
        problem = problem.model_copy(update={"message": f"{problem.message} Its earlier version was removed from the index."})
    out["problems"].append(problem)


def _vanished(path: Path) -> bool:
    """Whether a path named to ingest holds nothing now (missing, under a file, a link in a circle). One that cannot
    be looked at (a folder on the way became unreadable) has not vanished: what was indexed from it stays."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno in GONE_ERRNOS
    return False


def indexed_from(path: Path, sources: Iterable[str], *, root: Path | None) -> list[str]:
    """The documents among `sources` that ingesting `path` with this `root` indexed: the file itself, or every
    document under the folder (`path` need not exist any more)."""
    target = located(path)
    return [
        source
        for source in sources
        if (where := _path_of(source, root)) is not None
        and (where.is_relative_to(target) or (_file_of(source, root) or where).is_relative_to(target))
    ]


def _forget_vanished(
    paths: Sequence[Path],
    problems: list[LoadProblem],
    *,
    known: dict[str, DocumentInfo],
    root: Path | None,
    index: DocumentIndex,
    out: dict[str, Any],
) -> list[LoadProblem]:
    """`problems` (expand's), after removing what was indexed from each named path that no longer exists: the file
    itself, or every document under a folder that is gone, as a folder rescan prunes the files missing from it. The
    path's problem ("no such file or folder") then says what was removed."""
    notes: dict[str, str] = {}
    for path in filter(_vanished, paths):
        gone = [source for source in indexed_from(path, known, root=root) if source not in out["removed"]]
        for source in gone:
            index.delete_document(source)
            out["removed"].append(source)
        if gone == [source_for(path, root)]:
            notes[display(path)] = " Its earlier version was removed from the index."
        elif gone:
            notes[display(path)] = f" The {len(gone)} documents indexed from it were removed from the index."
    return [
        problem.model_copy(update={"message": problem.message + notes.pop(problem.source)})
        if problem.source in notes
        else problem
        for problem in problems
    ]


def ingest_paths(
    paths: Sequence[Path],
    *,
    index: DocumentIndex,
    embeddings: IdentifiedEmbeddings,
    root: Path | None,
    max_bytes: int,
    progress: Callable[[IngestProgress], None] | None = None,
    rebuild: bool = False,
    prune: bool = True,
    scan: Callable[[str], str | None] | None = None,
    on_wait: OnWait | None = None,
    read_timeout_s: float = 30.0,
) -> IngestReport:
    """Bring the index up to date with `paths`. Unchanged files (same sha256) are skipped; changed ones
    replaced; with `prune`, documents under a given folder that no longer exist there are removed, and so are
    those of a given file or folder that no longer exists at all (its problem says so).

    A bad file lands in `problems` and the batch goes on; if an earlier version of it was indexed, that
    version's chunks are removed (and the file listed in `removed`). Embedder or index failures are not a file's
    fault and propagate. `scan(text)` returns a reason when a chunk reads like instructions to the model;
    such chunks are stored with the "suspected_injection" flag and listed in `flagged`. `read_timeout_s` bounds
    each file's read and, for a PDF, its text extraction (GUARDED_RAG_INDEX_TIMEOUT in the app).

    The whole run holds the index's write lock: a second ingest (another process, another session) waits,
    saying so through `on_wait`, and gives up with IndexBusyError after the lock timeout.
    """
    if embedder_id_of(embeddings) != index.embedder_id:
        raise ValueError(f"ingest embeddings {embedder_id_of(embeddings)} differ from the index's {index.embedder_id}")
    with index.writing("rebuild" if rebuild else "ingest", on_wait=on_wait, rebuilding=rebuild):
        try:
            report = _ingest_locked(
                paths,
                index=index,
                embeddings=embeddings,
                root=root,
                max_bytes=max_bytes,
                progress=progress,
                rebuild=rebuild,
                prune=prune,
                scan=scan,
                read_timeout_s=read_timeout_s,
            )
        except BaseException:
            # The files written before the failure (an embedder that went away, Ctrl-C) are in Chroma: their BM25
            # terms are saved too, so a running app that follows the lexical file learns them. Best effort: the
            # failure itself is what the caller must see.
            with contextlib.suppress(Exception):
                index.flush()
            raise
        if rebuild:  # only a rebuild that got here holds the whole corpus; one stopped earlier leaves its marker
            index.rebuilt()
        return report


def _ingest_locked(
    paths: Sequence[Path],
    *,
    index: DocumentIndex,
    embeddings: IdentifiedEmbeddings,
    root: Path | None,
    max_bytes: int,
    progress: Callable[[IngestProgress], None] | None,
    rebuild: bool,
    prune: bool,
    scan: Callable[[str], str | None] | None,
    read_timeout_s: float,
) -> IngestReport:
    started = time.perf_counter()
    dropped: set[str] = set()
    set_aside: Path | None = None
    if rebuild:
        with contextlib.suppress(IndexUnavailableError):  # a damaged index: reset() moves its files aside
            dropped = {d.source for d in index.documents()}  # reported as removed unless the paths given add them again
        set_aside = index.reset()
    else:
        index.check()  # fail before any work if the stored vectors came from another embedder
    notify = progress or (lambda _: None)
    found = expand(paths, root=root)
    files, folders, early_problems, not_read = found.files, found.folders, found.problems, found.not_read
    out: dict[str, Any] = {k: [] for k in ("added", "updated", "unchanged", "removed", "problems", "flagged")}
    known = {d.source: d for d in index.documents()}
    if prune:
        early_problems = _forget_vanished(paths, early_problems, known=known, root=root, index=index, out=out)
    out["problems"].extend(early_problems)
    for problem in found.linked_out:  # what was indexed through such a link before goes, as a file that became unreadable
        _reject(problem, known=known, index=index, out=out)
    chunks_added = 0
    total = len(files)
    for done, path in enumerate(files):
        source = source_for(path, root)
        notify(IngestProgress(done=done, total=total, current=source, stage="load"))
        data = read_bytes(path, max_bytes=max_bytes, source=source, deadline_s=read_timeout_s, within=found.bounds.get(path))
        if isinstance(data, LoadProblem):
            _reject(data, known=known, index=index, out=out)
            continue
        info = known.get(source)
        same_bytes = info is not None and info.file_sha == hashlib.sha256(data).hexdigest()
        if same_bytes and info is not None and info.reader == READER_VERSION:  # before parsing: PDFs parse slowly
            notify(IngestProgress(done=done, total=total, current=source, stage="skip"))
            out["unchanged"].append(source)
            continue
        doc = parse_document(data, suffix=path.suffix, source=source, max_chars=text_limit(max_bytes), max_seconds=read_timeout_s)
        if isinstance(doc, LoadProblem):
            _reject(doc, known=known, index=index, out=out)
            continue
        drafts = chunk_text(doc.text, source=source)
        if not drafts:
            empty = LoadProblem(source=source, kind="empty", message="no text to index besides headings; add content.")
            _reject(empty, known=known, index=index, out=out)
            continue
        flagged = _scan(drafts, source, scan) if scan is not None else []
        out["flagged"].extend(flagged)
        flags = {f.chunk_id: (INJECTION_FLAG,) for f in flagged}
        if same_bytes and index.restamp_document(source, drafts, flags, reader=READER_VERSION):
            out["unchanged"].append(source)  # an older reader made these very chunks: their vectors stay
            continue
        vectors = _embed(drafts, embeddings, notify, IngestProgress(done=done, total=total, current=source, stage="embed"))
        notify(IngestProgress(done=done, total=total, current=source, stage="index"))
        index.upsert_document(source, doc.file_sha, drafts, vectors, flags, reader=READER_VERSION)
        chunks_added += len(drafts)
        out["updated" if source in known else "added"].append(source)
    if prune and folders:
        notify(IngestProgress(done=total, total=total, current="", stage="prune"))
        present = {source_for(p, root) for p in files}
        read = {os.path.realpath(p) for p in files}  # links followed (realpath: no RuntimeError on a link loop)
        for source in known:
            where = _path_of(source, root)
            if source in present or source in out["removed"] or where is None:  # removed: a named path that vanished
                continue
            if not any(where.is_relative_to(folder) for folder in folders):
                continue
            # Not a regular file any more (deleted, or now a folder, a broken link, a pipe): its chunks go. One that
            # cannot be looked at (its folder became unreadable) is kept: nothing is lost to a permission change.
            # A name that is not UTF-8 is stored escaped (walk.display): it is looked for under its own bytes.
            on_disk = _file_of(source, root) or where
            # A link that now leads to a file read under another name (each file is read once, walk._unique): its
            # chunks hold an earlier target's text, which would never be read again.
            if is_gone(on_disk) or os.path.realpath(on_disk) in read:
                index.delete_document(source)
                out["removed"].append(source)
    out["removed"].extend(sorted(dropped - set(out["added"])))
    index.flush()  # the lexical index is persisted once per batch, not once per file
    notify(IngestProgress(done=total, total=total, current="", stage="done"))
    duration = time.perf_counter() - started
    return IngestReport(
        **{k: tuple(v) for k, v in out.items()},
        chunks_added=chunks_added,
        duration_s=round(duration, 4),
        chunks_per_s=round(chunks_added / duration, 2) if duration > 0 else 0.0,
        not_read=not_read,
        set_aside=str(set_aside) if set_aside is not None else None,
    )
