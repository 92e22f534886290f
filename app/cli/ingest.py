"""`guarded-rag ingest`: index files and folders (default: GUARDED_RAG_DOCS_DIR), naming what it did not read.

CLI layer: a thin view over GuardedRAG.ingest, with progress on stderr.
"""

from __future__ import annotations

import argparse
import stat
import sys
from pathlib import Path
from typing import Any, TextIO

from app import SUPPORTED_SUFFIXES, GuardedRAG, line_safe
from app.cli.codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from app.cli.terminal import one_line, say


def add_ingest_command(sub: Any) -> None:
    ing = sub.add_parser(
        "ingest",
        help="index documents (default: data/docs)",
        description="Index the .md, .markdown, .txt and .pdf files of the folders and files given; what cannot be read "
        "(a file over GUARDED_RAG_MAX_FILE_MB, a PDF whose text is larger still once extracted, an unreadable folder) "
        "is listed and the rest is indexed.",
    )
    ing.add_argument(
        "paths",
        nargs="*",
        type=_path_argument,
        help="files and folders to index (default: the folder GUARDED_RAG_DOCS_DIR, data/docs unless set; it must "
        "exist and be a folder: to index a single file, name it here)",
    )
    ing.add_argument("--rebuild", action="store_true", help="drop the index first (e.g. after changing the embedder)")
    ing.add_argument("--json", action="store_true")


def _path_argument(text: str) -> Path:
    """argparse type: a path that names something. Path("") is Path("."): `ingest ""` (an unset shell variable,
    `ingest "$DOCS"`) indexed the current folder."""
    if not text:  # only "": " " is a name a file can have (a missing one is "no such file or folder")
        raise argparse.ArgumentTypeError("an empty path names no file or folder")
    return Path(text)


def _missing(path: Path) -> bool:
    """No file or folder at `path`. One that cannot be looked at (a folder on the way is unreadable) is not missing:
    ingest says why it cannot read it (Path.exists raises PermissionError there on Python 3.11)."""
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:
        return False
    return False


def _docs_dir_problem(docs: Path) -> str | None:
    """Why `ingest` without paths cannot use GUARDED_RAG_DOCS_DIR, or None. A missing folder indexed nothing and
    exited 0, as if all was well; a file was indexed under the source "."."""
    try:
        is_folder = stat.S_ISDIR(docs.stat().st_mode)
    except OSError as exc:
        reason = (
            "does not exist" if isinstance(exc, FileNotFoundError | NotADirectoryError) else f"cannot be read ({exc.strerror})"
        )
        return (
            f"the documents folder {docs.absolute()} (GUARDED_RAG_DOCS_DIR) {reason}; create it, set GUARDED_RAG_DOCS_DIR to your "
            "documents folder, or name what to index: guarded-rag ingest PATH..."
        )
    if not is_folder:
        return (
            f"GUARDED_RAG_DOCS_DIR must name a folder, and {docs.absolute()} is not one; to index that one file, run "
            f"`guarded-rag ingest {docs.absolute()}`."
        )
    return None


def cmd_ingest(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    from app.cli.progress import tqdm_progress

    # A missing path that something was indexed from is a deletion to bring into the index (ingest removes its
    # documents and says so); one that never was is a typo, and nothing is ingested.
    missing = [p for p in args.paths if _missing(p) and not svc.indexed_from(p)]
    if missing:
        say(f"error: no such file or folder: {', '.join(map(str, missing))}\n")
        return EXIT_USAGE
    unusable = None if args.paths else _docs_dir_problem(svc.settings.docs_dir)
    if unusable:
        say(f"error: {unusable}\n")
        return EXIT_USAGE

    def waiting(message: str) -> None:  # another writer holds the index: say so, then wait for it
        say(f"{message}\n")
        sys.stderr.flush()

    try:
        report = svc.ingest(args.paths, progress=tqdm_progress(), rebuild=args.rebuild, on_wait=waiting)
    except KeyboardInterrupt:  # what the index holds now, and how to finish: a bare "interrupted" said neither
        held = "the index holds only the files read before it" if args.rebuild else "the files read before it are indexed"
        say(f"\ninterrupted: {held}; run the same command again to finish (files already indexed are skipped)\n")
        return EXIT_INTERRUPTED  # said once: re-raised, main() printed a second, bare "interrupted"
    if args.json:
        out.write(line_safe(report.model_dump_json()) + "\n")
    else:
        out.write(
            f"indexed: {len(report.added)} new, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
            f"{len(report.removed)} removed · {report.chunks_added} chunks · {report.chunks_per_s:.0f} chunks/s\n"
        )
        if report.set_aside:
            out.write(f"  the index could not be opened; its files were moved to {report.set_aside} (delete it when done)\n")
        for p in report.problems:
            out.write(f"  skipped {one_line(p.source)}: {p.message}\n")
        for f in report.flagged:
            out.write(f"  flagged {one_line(f.source)} #{f.chunk_id}: {one_line(f.reason)}\n")
        if report.not_read:
            kinds = report.not_read_kinds()
            out.write(
                f"  not read: {sum(report.not_read.values())} file(s) of other types ({kinds}); ingest reads "
                f"{', '.join(sorted(SUPPORTED_SUFFIXES))} (convert the others to one of these)\n"
            )
        if report.added or report.updated or report.removed:
            out.write(
                "hint: for a corpus other than the sample docs, run `guarded-rag calibrate` to fit the relevance "
                "thresholds to it (it writes a policy to load with GUARDED_RAG_POLICY)\n"
            )
    # The first question would otherwise wait for the detectors' one-off build; stderr keeps --json clean.
    for status in svc.input_detectors():
        say(f"input detectors: {status.line}\n")
    return EXIT_OK
