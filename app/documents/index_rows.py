"""How DocumentIndex keeps a chunk in Chroma: the metadata written with each chunk, what is read back from it
(a document's entry), and the bodies of the paged and batched calls it makes through the store. Part of
app/documents, beside index.py (moved out of it unchanged, apart from the write token of server_sync)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from app.documents.chunking import ChunkDraft
from app.documents.index_types import DocumentInfo
from app.documents.server_sync import WRITE_KEY

PAGE = 5000  # rows per `get` page: bounds memory when listing a large collection


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def flag_string(flags: Sequence[str] | str) -> str:
    # Chroma metadata values are scalars, so a chunk's flags are stored as one comma-joined string.
    return flags if isinstance(flags, str) else ",".join(sorted(set(flags)))


def chunk_metas(
    source: str,
    file_sha: str,
    chunks: Sequence[ChunkDraft],
    flags: Mapping[str, Sequence[str]],
    *,
    stamp: str,
    reader: int,
    write: str,
) -> list[dict[str, Any]]:
    """The metadata of each of `chunks` of `source`; `write`: the write's token (server_sync.WRITE_KEY)."""
    return [
        {
            "source": source,
            "file_sha": file_sha,
            "heading": c.heading,
            "ordinal": c.ordinal,
            "start": c.start,
            "n_chunks": len(chunks),
            "indexed_at": stamp,
            "flags": flag_string(flags.get(c.chunk_id, ())),
            "reader": reader,
            WRITE_KEY: write,
        }
        for c in chunks
    ]


def consistent_sha(metas: list[Mapping[str, Any]]) -> str:
    """The file_sha of a document's chunks; "" when a write cut short left chunks of two versions, or too few,
    so ingest redoes the file."""
    shas = {str(m.get("file_sha", "")) for m in metas}
    expected = {int(m.get("n_chunks", -1)) for m in metas}
    return shas.pop() if len(shas) == 1 and expected == {len(metas)} else ""


def document_infos(metas: Iterable[Mapping[str, Any]]) -> list[DocumentInfo]:
    """One entry per source of the chunks' metadata `metas`, by source."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for meta in metas:
        grouped.setdefault(str(meta["source"]), []).append(meta)
    infos = []
    for source, found in sorted(grouped.items()):
        flag_sets = [set(filter(None, str(m.get("flags", "")).split(","))) for m in found]
        infos.append(
            DocumentInfo(
                source=source,
                chunks=len(found),
                indexed_at=max(str(m.get("indexed_at", "")) for m in found),
                file_sha=consistent_sha(found),
                flags=tuple(sorted(set().union(*flag_sets))),
                flagged_chunks=sum(1 for f in flag_sets if f),
                reader=min(int(m.get("reader", 0)) for m in found),
            )
        )
    return infos


# Call bodies for the store (partial(...) of these, run on the collection)
def list_page(col: Any, *, where: dict[str, Any] | None, offset: int) -> Any:
    return col.get(where=where, include=["metadatas"], limit=PAGE, offset=offset)


def rows_page(col: Any, *, offset: int) -> Any:
    return col.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)


def upsert(col: Any, *, batch: dict[str, Any]) -> None:
    col.upsert(**batch)


def update(col: Any, *, batch: dict[str, Any]) -> None:
    col.update(**batch)  # metadata only: no documents, so nothing is (re-)embedded


def delete(col: Any, *, batch: dict[str, Any]) -> None:
    col.delete(**batch)
