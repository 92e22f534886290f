"""What reading one file gives: its text (`LoadedDocument`) or why it was skipped (`LoadProblem`), and the file
types ingest reads.

App layer, shared by the file reader (file_bytes.py), the parsers' dispatch (loaders.py), the walk and ingest.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TEXT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf"}
ProblemKind = Literal["empty", "binary", "too_large", "unreadable", "unsupported", "encoding"]
MIB = 1024 * 1024  # GUARDED_RAG_MAX_FILE_MB is applied as MiB by the service


class LoadedDocument(BaseModel):
    """A file's text plus what the index needs to know whether it changed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    text: str = Field(description="Decoded text, newlines normalised to \\n.")
    file_sha: str = Field(description="sha256 of the file's bytes (hex): unchanged bytes are skipped on re-ingest.")
    size_bytes: int
    encoding: str = Field(description='"utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030" or "pdf".')
    pages: int | None = None


class LoadProblem(BaseModel):
    """Why a file was skipped, in words a user can act on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    kind: ProblemKind
    message: str
    transient: bool = Field(
        default=False,
        description="The file could not be read this time (permission denied, an I/O error, a read that hung): what "
        "it says now is unknown, so a version indexed earlier is kept rather than removed.",
    )
