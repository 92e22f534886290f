"""Integrity check of a local index (doctor, the Documents page): do the chunk count, the listing and the vectors
agree, do exact lookups of a sample hit, is every stored embedding readable. App layer, documents/.

Two verdicts, because they call for different alarms: CORRUPTED (the store contradicts itself: counts disagree,
embeddings unreadable, exact lookups fail; what two concurrent writers do) and DEGRADED (every chunk is stored
and readable, but Chroma's approximate vector index no longer returns some of them: measured after ordinary
update rounds too, 3-10 of 120 chunks). Both are repaired by a rebuild; only the first is damage.

It runs in a child process (`python -m app.documents.integrity`): measured here, reading an index corrupted by
two concurrent writers raises `InternalError: ... Error finding id` on some calls and kills the reading process
with SIGSEGV on others. A crash or a hang of the child is itself the verdict "corrupted", never the caller's.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

REPAIR = "guarded-rag ingest --rebuild"
_BATCH = 500
CHECK_ATTEMPTS = 3  # checks run again when the index changed during one (see scan_client)


class IndexIntegrity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ok: bool
    checked: bool = True
    chunks: int = 0
    listed: int = 0
    vectors_read: int = 0
    lookups: int = 0
    lookup_misses: int = 0
    search_misses: int = 0
    problems: tuple[str, ...] = ()
    degraded: tuple[str, ...] = ()  # search reachability: stored and readable, but not returned by a search
    fix: str | None = None
    unfinished: str | None = None  # the last rebuild did not finish: what to say (rebuild_marker.py); then not ok

    @property
    def summary(self) -> str:
        if self.unfinished is not None:
            rest = self.model_copy(update={"unfinished": None, "ok": not self.problems}).summary
            return f"INCOMPLETE: {self.unfinished}; {rest}"
        if not self.checked:
            return "; ".join(self.problems) or "not checked"
        if not self.ok:
            return "CORRUPTED: " + "; ".join(self.problems + self.degraded)
        if self.degraded:
            return (
                f"{self.chunks} chunks, all {self.vectors_read} vectors readable, but DEGRADED search: "
                + "; ".join(self.degraded)
                + f" (`{REPAIR}` rebuilds the vector index)"
            )
        return f"{self.chunks} chunks, all {self.vectors_read} vectors readable, {self.lookups} sampled lookups and searches hit"


def _broken(problems: list[str], degraded: list[str] | None = None, **counts: int) -> IndexIntegrity:
    degraded = degraded or []
    return IndexIntegrity(
        ok=not problems,
        problems=tuple(problems),
        degraded=tuple(degraded),
        fix=REPAIR if problems or degraded else None,
        **counts,
    )


def scan(path: Path, collection: str, *, sample: int = 50, seed: int = 0) -> IndexIntegrity:
    """The check itself, in this process (the child's job; call `check_integrity` from the app)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    return scan_client(client, collection, sample=sample, seed=seed)


def scan_client(
    client: Any, collection: str, *, sample: int = 50, seed: int = 0, attempts: int = CHECK_ATTEMPTS
) -> IndexIntegrity:
    """The same check through any Chroma client (a Chroma server's runs it in-process: a broken server fails its
    requests, it cannot crash this process).

    A verdict other than healthy is given only when nothing was written during the check: on a Chroma server
    nothing keeps other processes (other machines) from writing meanwhile, and a check overlapping their writes
    reports a healthy index CORRUPTED (measured: 18 of 75 checks during one ingest; counts and listings taken a
    moment apart disagree, chunks deleted meanwhile fail their lookups). So the chunk count and ids are read again
    after such a check: if they changed, the check is run again, and after `attempts` it says it could not check
    now (as a local index's check does while a writer holds it)."""
    try:
        col = client.get_collection(collection)
    except Exception:  # no collection yet: an empty index is a healthy one
        return IndexIntegrity(ok=True)
    state = _state(col)
    for _ in range(max(1, attempts)):
        found = _scan(col, state, sample=sample, seed=seed)
        if found.fix is None:
            return found
        after = _state(col)
        if after[0] == state[0] and sorted(after[1]) == sorted(state[1]):
            return found  # nothing written during the check: the verdict stands
        state = after
    return IndexIntegrity(
        ok=True,
        checked=False,
        problems=("not checked now: another process kept writing the index during the check; check again when it is done",),
    )


def _state(col: Any) -> tuple[int, tuple[str, ...]]:
    """(the chunk count, every listed id in listing order): what a writer changes."""
    chunks = int(col.count())
    ids: list[str] = []
    while True:
        page = col.get(include=[], limit=_BATCH, offset=len(ids))
        ids += page["ids"]
        if len(page["ids"]) < _BATCH:
            break
    return chunks, tuple(ids)


def _scan(col: Any, state: tuple[int, tuple[str, ...]], *, sample: int, seed: int) -> IndexIntegrity:
    problems: list[str] = []
    chunks, ids = state[0], list(state[1])
    if len(ids) != chunks:
        problems.append(f"the collection counts {chunks} chunks but lists {len(ids)}")
    read, unreadable, first_error = 0, 0, ""
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        try:
            got = col.get(ids=batch, include=["embeddings"])
        except Exception as exc:
            unreadable += len(batch)
            first_error = first_error or f"{type(exc).__name__}: {str(exc)[:120]}"
            continue
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        read += sum(1 for v in vectors if v is not None and len(v))
        unreadable += len(batch) - sum(1 for v in vectors if v is not None and len(v))
    if unreadable:
        problems.append(
            f"{unreadable} of {len(ids)} stored embeddings are unreadable" + (f" ({first_error})" if first_error else "")
        )
    degraded: list[str] = []
    unreachable = _unreachable(col, ids)
    if unreachable:
        degraded.append(
            f"{unreachable} of {len(ids)} chunks are missing from the search index (no search can return them; "
            "Chroma's vector index loses them after a writer is killed mid-write, and also after many updates and "
            "deletes: measured)"
        )
    lookups = misses = search_misses = 0
    for cid in random.Random(seed).sample(ids, min(sample, len(ids))):
        lookups += 1
        try:
            got = col.get(ids=[cid], include=["embeddings"])
            if got["ids"] != [cid] or got["embeddings"] is None:
                misses += 1
                continue
            hits = col.query(query_embeddings=got["embeddings"][:1], n_results=3, include=["distances"])
            nearest = (hits["distances"] or [[]])[0]
            # Found, or an identical vector ranks first (repeated text embeds identically).
            if cid not in hits["ids"][0] and not (nearest and nearest[0] < 1e-6):
                search_misses += 1
        except Exception:
            misses += 1
    if misses:
        problems.append(f"{misses} of {lookups} exact lookups of sampled chunks failed")
    if search_misses:
        degraded.append(f"{search_misses} of {lookups} sampled chunks are not found by searching for their own vector")
    return _broken(
        problems,
        degraded,
        chunks=chunks,
        listed=len(ids),
        vectors_read=read,
        lookups=lookups,
        lookup_misses=misses,
        search_misses=search_misses,
    )


def _unreachable(col: Any, ids: list[str]) -> int:
    """Chunks a search cannot reach: one query asking for every chunk returns fewer ids than the collection lists
    (the metadata and the vector index disagree)."""
    if not ids:
        return 0
    probe = col.get(ids=ids[:1], include=["embeddings"])["embeddings"]
    if probe is None or not len(probe):
        return 0  # the unreadable embedding is reported on its own
    found = col.query(query_embeddings=probe[:1], n_results=len(ids), include=[])
    return len(set(ids) - set(found["ids"][0]))


def check_integrity(path: Path, collection: str, *, sample: int = 50, timeout: float = 300.0) -> IndexIntegrity:
    """`scan` in a child process, bounded by `timeout`; a crash or hang of the child means corrupted."""
    command = [sys.executable, "-m", "app.documents.integrity", str(path), collection, str(sample)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return _broken([f"reading the index did not finish within {timeout:g} s"])
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        return _broken([f"reading the index crashed the reader ({name})"])
    try:
        data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return IndexIntegrity.model_validate(data)
    except (ValueError, IndexError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return _broken([f"reading the index failed ({tail})"])


if __name__ == "__main__":  # the child process of check_integrity
    target, name, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        found = scan(Path(target), name, sample=size)
    except Exception as exc:
        found = _broken([f"reading the index failed ({type(exc).__name__}: {str(exc)[:160]})"])
    print(found.model_dump_json())
