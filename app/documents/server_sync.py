"""Keeping machines that share one Chroma server in step. App layer, documents/, used by DocumentIndex (index.py).

On a local index one write lock orders every write and a generation file tells readers to reopen (store.py). A
Chroma server has neither: several machines write at once, and nothing on this machine changes when another one
writes. Two things replace them here:

- The collection's write generation: a fresh token in the collection's metadata (GENERATION_KEY), replaced after
  every write (`bump_generation`). A machine's BM25 half remembers the generation it read just before it last read
  the chunks from the server, and rebuilds when the server's differs. Chunk counts and chunk ids said too little:
  a document re-ingested with as many chunks as before changes neither the count nor, unless one of its new chunks
  happens to be a vector candidate, the ids a search sees. Chroma's `modify` replaces the whole metadata, so the
  bump reads it fresh first; two writers bumping at once may lose one's token, but each writes a token never seen
  before after its chunks are in, so the generation a reader remembers never comes back once anyone wrote. The
  generation a machine's own write recorded does not make it rebuild: ServerSync.behind takes it as seen once one
  listing of the ids shows that no other machine's write slipped in under it.
- Which chunks of a source a write supersedes (`superseded`): every chunk carries its write's token (WRITE_KEY).
  Before, each writer deleted every chunk of the source that was not its own: two machines ingesting one source
  at once deleted each other's and left none. Now a writer takes a token that sorts after every token it saw on
  the source before writing (`new_token`: the time, pushed past those tokens when this clock is behind, then a
  random part), so a write that saw another's chunks always wins over it, whatever the clocks say. After
  writing, it keeps only the chunks of the newest write of the source it sees, its own or another's, and deletes
  the rest. The newest write's chunks are then deleted by no one (the source is never emptied), and whichever
  writer looks last leaves only that write's chunks. One case is left to the next ingest: a chunk both versions
  share (same text, same id) carries the token of whichever stored it last, so the winner may lose it; its
  document then reads as incomplete (DocumentIndex.documents gives file_sha "") and ingest writes it again.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import chromadb.errors

from app.documents.lexical import LexicalIndex
from app.documents.store import ChromaStore

SERVER_RECHECK_S = 5.0  # how stale the BM25 half may get on a Chroma server written by other machines
GENERATION_KEY = "write_generation"  # collection metadata: changes after every write through a server
WRITE_KEY = "write"  # chunk metadata: the token of the write that stored the chunk ("" before it was recorded)


_TIME = "%Y%m%dT%H%M%S.%fZ"  # fixed width: tokens sort as their times do


def new_token(after: Iterable[str] = ()) -> str:
    """A unique token sorting after every token in `after`: UTC time to the microsecond (one past the latest of
    `after` when this machine's clock is behind it), then a random part that breaks ties."""
    now = datetime.now(UTC)
    latest = max(filter(None, map(_time_of, after)), default=None)
    if latest is not None and latest >= now:
        now = latest + timedelta(microseconds=1)
    return f"{now.strftime(_TIME)}-{uuid.uuid4().hex}"


def _ours(token: str) -> str:
    """`token` if one of ours, else "" (sorts before every token): a stray value never wins."""
    return token if _time_of(token) is not None else ""


def _time_of(token: str) -> datetime | None:
    try:
        return datetime.strptime(token.split("-", 1)[0], _TIME).replace(tzinfo=UTC)
    except ValueError:  # "" (written before tokens were recorded) or not one of ours
        return None


def tokens(stored: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """The write tokens of stored chunks' metadata ("" for chunks written before tokens were recorded)."""
    return [str(meta.get(WRITE_KEY, "")) for meta in stored if meta is not None]


def read_generation(client: Any, name: str) -> str | None:
    """The collection's current write generation, read from the server (not a cached handle); None when no write
    recorded one yet or the collection is gone (being rebuilt by another machine)."""
    try:
        found = client.get_collection(name, embedding_function=None).metadata or {}
    except chromadb.errors.NotFoundError:
        return None
    value = found.get(GENERATION_KEY)
    return str(value) if value is not None else None


def bump_generation(client: Any, name: str) -> str:
    """Record that a write through this client finished: a new generation (returned), the other metadata kept."""
    collection = client.get_collection(name, embedding_function=None)
    token = new_token()
    collection.modify(metadata={**(collection.metadata or {}), GENERATION_KEY: token})
    return token


def superseded(stored: Iterable[tuple[str, Mapping[str, Any]]], mine: str) -> tuple[list[str], str]:
    """(ids to delete, the winning write's token) for a source's stored chunks `stored` (id, metadata), just after
    the write `mine` stored its own: every chunk not of the newest write present. A chunk two versions share (same
    text) carries the token of whichever stored it last."""
    listed = [(cid, _ours(str(meta.get(WRITE_KEY, "")))) for cid, meta in stored if meta is not None]
    winner = max((token for _, token in listed), default=mine)
    return [cid for cid, token in listed if token != winner], winner


class ServerSync:
    """A DocumentIndex's view of other machines' writes through its Chroma server (nothing to do on a local index,
    whose write lock and generation file serve instead): reads and bumps the collection's write generation."""

    def __init__(self, store: ChromaStore, name: str, *, timeout: float) -> None:
        self._store, self._name, self._timeout = store, name, timeout
        self._checked = 0.0  # when the lexical index was last compared with the server
        self._own: str | None = None  # the generation this index's last write recorded

    def behind(self, lexical: LexicalIndex, count: Callable[[], int]) -> bool:
        """Whether `lexical` misses writes of other machines, asked of the server at most every SERVER_RECHECK_S:
        a generation other than the one it was read at; on a collection no write recorded one in (older
        versions), a chunk count (`count()`) other than its own.

        The generation this index's own last write recorded is not by itself a reason: `lexical` has that write
        already. Nor is it proof that `lexical` is in step: Chroma's `modify` is no compare-and-swap, so another
        machine's bump just before ours may be lost under ours, its chunks stored and never announced. So that
        generation is taken as `lexical`'s only when its entries are exactly the stored chunks (one listing of
        the ids, read after the generation: LexicalIndex.adopt); any write whose bump came before ours stored its
        chunks before it and shows there, any later one changes the generation again."""
        if self._store.server is None or time.monotonic() - self._checked < SERVER_RECHECK_S:
            return False
        self._checked = time.monotonic()
        lexical.ensure()  # loaded first, so the generation it was read at is known
        current = self.generation()
        if current is None:
            return count() != len(lexical)
        if current == lexical.marker:
            return False
        return not (current == self._own and lexical.adopt(current))

    def generation(self) -> str | None:
        """The server's write generation of the collection (None on a local index: nothing to read)."""
        if self._store.server is None:
            return None
        return self._store.run(
            "checking for writes from other machines", lambda c: read_generation(c, self._name), seconds=self._timeout
        )

    def bump(self) -> None:
        """After a write through a Chroma server: a new generation tells other machines' lexical indexes."""
        if self._store.server is None:
            return

        def bump(client: Any) -> str | None:
            with contextlib.suppress(chromadb.errors.NotFoundError):  # rebuilt meanwhile: the rebuild bumps its own
                return bump_generation(client, self._name)
            return None

        token = self._store.run("recording the write for other machines", bump, seconds=self._timeout, write=True)
        if token is not None:
            self._own = token
