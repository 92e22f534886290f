"""CMRC 2018 gets its own Chroma collection (cmrc2018-trial / cmrc2018-dev) and its own GuardedRAG, so its
Chinese Wikipedia passages never mix with the user's documents.

App layer (evaluation lab). Passages are written at run time to <home>/eval-cache/<collection>/ (git-ignored,
like the index itself; the repo never holds them) and ingested through the normal, idempotent ingest path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app import GuardedRAG, IngestProgress
from app.lab.evaluation.shared import cmrc_paragraphs


def cmrc_collection(split: str) -> str:
    return f"cmrc2018-{split}"


def write_passages(paragraphs: list[tuple[str, str]], folder: Path) -> int:
    """One .txt per paragraph (its id as the name: the item's expected source); unchanged files are kept
    so re-ingest skips them by hash. Returns how many files were (re)written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for pid, text in paragraphs:
        path = folder / f"{pid}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written += 1
    return written


def prepare_cmrc(
    svc: GuardedRAG, split: str, shared: Path, *, progress: Callable[[IngestProgress], None] | None = None
) -> GuardedRAG | None:
    """A GuardedRAG over the split's passages (ingested if needed); None when the data is absent."""
    paragraphs = cmrc_paragraphs(shared, split)
    if paragraphs is None:
        return None
    collection = cmrc_collection(split)
    folder = Path(svc.settings.home) / "eval-cache" / collection
    write_passages(paragraphs, folder)
    # docs_dir = the passage folder, so sources are "<paragraph id>.txt" (what items expect), not abs paths.
    sub = svc.derive(collection=collection, docs_dir=folder)
    sub.ingest(progress=progress)
    return sub
