"""Uploads: the files the app saves under <home>/uploads, their labels and paths as people read them, indexing them
(the unreadable ones discarded) and forgetting a document (its saved upload removed too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from app.documents.ingest_types import IngestProgress
from app.documents.uploads import DocumentRemoval, UploadFolder, UploadIngest
from app.service_ingest import Ingesting


class Uploads(Ingesting):
    """The uploads folder and what the Documents page does with it."""

    def uploads(self) -> UploadFolder:
        return UploadFolder(home=self.settings.home, docs_dir=self.settings.docs_dir)

    def source_label(self, source: str) -> str:
        """A document's source as people read it: relative to the docs or uploads folder, never a server path."""
        return self.uploads().label(source)

    def hide_paths(self, text: str) -> str:
        """A message (an IndexBusyError, a file problem) without the server's folders: `uploads/`, `<home>`, `<docs>`."""
        return self.uploads().hide_paths(text)

    def forget_document(self, source: str, *, on_wait: Callable[[str], None] | None = None) -> DocumentRemoval:
        """Delete a document from the index and, when it is a saved upload, its file (else Re-index all would add
        it back); a file of the user's docs folder is never touched (`file` says it stays)."""
        chunks = self.delete_document(source, on_wait=on_wait)
        folder = self.uploads()
        return DocumentRemoval(source=source, label=folder.label(source), chunks=chunks, file=folder.remove(source))

    def ingest_uploads(
        self,
        paths: Sequence[Path],
        *,
        progress: Callable[[IngestProgress], None] | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> UploadIngest:
        """Index saved uploads (files or the uploads folder), then remove the ones the ingest could not read (empty,
        binary, an unknown encoding, a PDF without text): kept, they would come back on every Re-index all."""
        report = self.ingest(paths, progress=progress, on_wait=on_wait)
        return UploadIngest(report=report, discarded=self.uploads().discard_unreadable(report))
