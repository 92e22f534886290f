"""Files uploaded through the app, saved under <home>/uploads/: how a document's source reads to people, which
saved upload is behind a source, and removing one that cannot be indexed or whose document was deleted.

App layer, beside ingest.py. Never touches a file outside the uploads folder: the docs folder is the user's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.documents.ingest_types import IngestReport
from app.documents.walk import undisplay

UPLOADS_DIR = "uploads"  # under the app's home (views/uploads.py saves there)

FileOutcome = Literal["removed", "kept", "none"]


class DocumentRemoval(BaseModel):
    """What deleting one document did: its chunks left the index, and what became of the file behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    label: str = Field(description="The source as shown to people (UploadFolder.label): never an absolute server path.")
    chunks: int = Field(description="Chunks removed from the index.")
    file: FileOutcome = Field(
        description='"removed": the saved upload was deleted too (Re-index all would bring it back); "kept": a file '
        'outside the uploads folder (the docs folder is the user\'s) stays, so Re-index all adds it back; "none": no file.'
    )


class UploadIngest(BaseModel):
    """An ingest of saved uploads, and the uploads it removed again because they could not be indexed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report: IngestReport
    discarded: tuple[str, ...] = Field(
        default=(), description="Sources whose saved upload was removed: the ingest could not read them (report.problems)."
    )


@dataclass(frozen=True)
class UploadFolder:
    """The uploads folder of one home, seen from the docs folder sources are relative to."""

    home: Path
    docs_dir: Path

    @property
    def path(self) -> Path:
        return (self.home / UPLOADS_DIR).resolve()

    def _located(self, source: str) -> Path:
        path = undisplay(source)  # a name that is not UTF-8 is a source with \\xNN escapes (walk.display)
        path = path if path.is_absolute() else self.docs_dir / path
        return path.parent.resolve() / path.name  # as ingest names files: the folders resolved, not a link's target

    def file_of(self, source: str) -> Path | None:
        """The saved upload behind `source`: a file directly in the uploads folder and not in the docs folder (a home
        inside the docs folder makes its uploads the user's documents). None for any other source."""
        where = self._located(source)
        if where.parent != self.path or where.is_relative_to(self.docs_dir.resolve()):
            return None
        return where

    def label(self, source: str) -> str:
        """How a source reads to people. A docs-folder document is already relative to the docs folder and is shown
        as is; an upload is `uploads/<name>`; any other absolute path (a file ingested from elsewhere with the CLI)
        is `…/<name>`: the server's folders are never shown."""
        path = Path(source)
        if not path.is_absolute():
            return source
        if self.file_of(source) is not None:
            return f"{UPLOADS_DIR}/{path.name}"
        return f"…/{path.name}"

    def hide_paths(self, text: str) -> str:
        """`text` (an error or progress message) with the server's folders named as people know them: the uploads
        folder as `uploads/`, the home and docs folders as `<home>` and `<docs>`."""
        for folder, name in ((self.path, UPLOADS_DIR), (self.home.resolve(), "<home>"), (self.docs_dir.resolve(), "<docs>")):
            text = text.replace(folder.as_posix(), name)
        return text

    def remove(self, source: str) -> FileOutcome:
        """Delete the saved upload behind `source`; a file elsewhere (the docs folder) is never touched."""
        upload = self.file_of(source)
        if upload is not None:
            try:  # a link, even one whose file is gone, is removed too, and said to be
                upload.unlink()
            except FileNotFoundError:
                return "none"
            return "removed"
        return "kept" if self._located(source).exists() else "none"

    def discard_unreadable(self, report: IngestReport) -> tuple[str, ...]:
        """Remove the saved uploads the ingest could not index, so Re-index all does not bring them back; returns
        their sources. A problem that may pass (`transient`: a read that hung) keeps its file: it is read again."""
        discarded = [p.source for p in report.problems if not p.transient and self.file_of(p.source) is not None]
        for source in discarded:
            self.remove(source)
        return tuple(dict.fromkeys(discarded))
