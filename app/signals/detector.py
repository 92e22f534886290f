"""An exemplar detector: labelled texts embedded with the app's embedder, a logistic regression over those
vectors, and the nearest exemplars as the explanation of every score.

App layer (signals). What it learns from is its spec (app/signals/detector_spec.py); its vectors are built at
first use and cached (app/signals/vector_cache.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals.detector_spec import DetectorSpec, collect, sample_weights
from app.signals.exemplars import Exemplar
from app.signals.linear import LinearModel, Vectors, train_logistic
from app.signals.neighbours import Stored, neighbour_vote, similarities
from app.signals.spans import cjk_windows, clause_spans, window_spans
from app.signals.vector_cache import cached_vectors


class DetectorUnavailable(RuntimeError):
    """No usable exemplars (e.g. data/eval missing): the guardrail decides without the semantic signal."""


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
    vectors = cached_vectors(spec, embedder, exemplars, cache_dir, log)
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
