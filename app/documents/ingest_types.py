"""What ingest reports: its progress events and its final report. Part of app/documents, beside ingest.py (which
emits and returns these), as index_types.py is beside index.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.documents.load_types import LoadProblem

INJECTION_FLAG = "suspected_injection"
Stage = Literal["load", "skip", "embed", "index", "prune", "done"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IngestProgress(_Frozen):
    done: int = Field(description="Files finished so far (never decreases).")
    total: int
    current: str = Field(description="Source being worked on; empty at the end.")
    stage: Stage
    chunks_done: int = Field(default=0, description="Stage embed: chunks of `current` embedded so far.")
    chunks_total: int = Field(default=0, description="Stage embed: chunks of `current` (0 in the other stages).")

    @property
    def fraction(self) -> float:
        """Share of the work done, 0..1: whole files, plus the embedded share of the current one (all of it once
        its vectors are being written)."""
        within = 1.0 if self.stage == "index" else self.chunks_done / self.chunks_total if self.chunks_total else 0.0
        return min(1.0, (self.done + within) / max(1, self.total))

    @property
    def label(self) -> str:
        """What is happening, as people read it: "embed big.md (2,048 of 93,301 chunks)"."""
        text = f"{self.stage} {self.current}".rstrip()
        return text + (f" ({self.chunks_done:,} of {self.chunks_total:,} chunks)" if self.chunks_total else "")


class FlaggedChunk(_Frozen):
    source: str
    chunk_id: str
    ordinal: int
    reason: str


class IngestReport(_Frozen):
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    chunks_added: int = 0
    problems: tuple[LoadProblem, ...] = ()
    flagged: tuple[FlaggedChunk, ...] = ()
    duration_s: float = 0.0
    chunks_per_s: float = Field(default=0.0, description="Chunks embedded and written per second of the run.")
    not_read: dict[str, int] = Field(
        default_factory=dict,
        description="Files in the given folders that are not a supported type, by extension: not read, not errors.",
    )
    set_aside: str | None = Field(
        default=None,
        description="Where a rebuild moved the files of an index Chroma could not open (damaged), kept for inspection.",
    )

    def not_read_kinds(self) -> str:
        """`not_read` as people read it, e.g. ".docx 2, .html 1" (the CLI and the Documents page show it)."""
        return ", ".join(f"{suffix} {n}" for suffix, n in self.not_read.items())
