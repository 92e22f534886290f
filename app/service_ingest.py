"""Ingest: files and folders indexed under the index's cross-process write lock, each chunk scanned for text
addressed to the model; which indexed documents an ingest of a path made."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from app.documents.ingest import indexed_from, ingest_paths
from app.documents.ingest_types import IngestProgress, IngestReport
from app.service_index import IndexAccess
from guardrails import Chunk, GuardContext, run_guardrail
from guardrails.context_injection import ContextInjectionGuardrail


class Ingesting(IndexAccess):
    """Indexing files (default: settings.docs_dir) and the ingest-time injection scan."""

    def ingest(
        self,
        paths: Sequence[Path] = (),
        *,
        progress: Callable[[IngestProgress], None] | None = None,
        rebuild: bool = False,
        on_wait: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Index files/folders (default: settings.docs_dir). Holds the index's cross-process write lock for the
        whole run: a second writer waits (told through `on_wait`), then stops with IndexBusyError."""
        targets = list(paths) or [self.settings.docs_dir]
        return ingest_paths(
            targets,
            index=self._parts.docs(),
            embeddings=self._parts.embedder(),
            root=self.settings.docs_dir,  # per file: relative under docs_dir, absolute elsewhere (stable ids)
            max_bytes=int(self.settings.max_file_mb * 1024 * 1024),
            progress=progress,
            rebuild=rebuild,
            scan=self.injection_scan,
            on_wait=on_wait,
            read_timeout_s=self.settings.index_timeout,
        )

    def indexed_from(self, path: Path) -> list[str]:
        """The indexed documents `ingest([path])` made: the file, or those under the folder (which may be gone)."""
        return indexed_from(path, (d.source for d in self.documents()), root=self.settings.docs_dir)

    def injection_scan(self, text: str) -> str | None:
        """Ingest-time scan of a chunk for text addressed to the model (the context_injection guardrail)."""
        guard = ContextInjectionGuardrail(**self.policy.params("context_injection"))
        verdict = run_guardrail(
            guard, GuardContext(question="", chunks=(Chunk(chunk_id="scan", source="scan", text=text, score=1.0),))
        )
        if not verdict.fired:
            return None
        kinds = sorted({kind for found in (verdict.details or {}).get("families", {}).values() for kind in found})
        quoted = "; ".join(f"“{e.split(': ', 1)[-1][:80]}”" for e in verdict.evidence[:2])
        return f"text addressed to the AI ({', '.join(kinds) or 'pattern'}: {quoted}); the context_injection check leaves this passage out of answers"
