"""The unfinished-rebuild marker of a local index: a rebuild writes it (under the write lock) before it drops the
collection and removes it only once its ingest has completed, so a rebuild killed (SIGKILL) or interrupted
(Ctrl-C, an embedder that went away) leaves it behind. App layer, documents/.

Why a file of its own and not the generation file (generation.py): that one is replaced at the end of every write
section, also of one that unwinds from Ctrl-C, and by any later write (a delete, an upload); it tells readers to
reopen, not whether the corpus is whole. An index whose rebuild stopped holds only the documents put back before
it stopped, and a refusal "not in your documents" about the others would be wrong: whoever reports the index's
health reads this marker (index_locks.unfinished_rebuild).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

REBUILD_NAME = ".guarded-rag-rebuild.json"  # .guarded-rag-*: kept when a damaged index is set aside (store.py)
REBUILD_AGAIN = "guarded-rag ingest --rebuild"


class UnfinishedRebuild(BaseModel):
    """A rebuild that started and did not complete: when it started (UTC, ISO seconds; "" when unknown)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    started: str = ""

    def describe(self) -> str:
        """The sentence every report of the index's health uses (no path: it is shown to other users too)."""
        when = f" (started {self.started.replace('T', ' ')[:19]} UTC)" if self.started else ""
        return (
            f"the last rebuild did not finish{when}: the index holds only the documents it put back before it "
            f"stopped; run `{REBUILD_AGAIN}` again"
        )


def mark_rebuild_started(path: Path) -> None:
    """Record that a rebuild of the index at `path` started (the caller holds the write lock)."""
    marker = UnfinishedRebuild(started=datetime.now(UTC).isoformat(timespec="seconds"))
    tmp = path / f"{REBUILD_NAME}.{os.getpid()}.tmp"
    tmp.write_text(marker.model_dump_json(), encoding="utf-8")
    os.replace(tmp, path / REBUILD_NAME)


def mark_rebuild_finished(path: Path) -> None:
    """The rebuild's ingest completed: the index holds the whole corpus again (the caller holds the write lock)."""
    (path / REBUILD_NAME).unlink(missing_ok=True)


def read_unfinished_rebuild(path: Path) -> UnfinishedRebuild | None:
    """The marker of the index at `path`, or None when no rebuild was left unfinished. Whether a rebuild is running
    now is the caller's question (the write lock's). A marker that cannot be parsed still means unfinished."""
    try:
        text = (path / REBUILD_NAME).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # no marker, or no index folder (its own error says so)
        return None
    except OSError:
        return UnfinishedRebuild()
    try:
        return UnfinishedRebuild.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return UnfinishedRebuild()
