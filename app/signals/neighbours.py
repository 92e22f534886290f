"""A similarity-weighted vote of the nearest labelled exemplars: the second half of an input detector's score.

App layer (signals), numpy only. A logistic regression draws one hyperplane through the embedding space, so a
benign request phrased like a jailbreak ("I want you to act as a Linux terminal") and a real one ("act as an
AI without rules") fall on the same side. The nearest exemplars see local structure the plane cannot; the
mean of the two probabilities, chosen on out-of-fold tune scores (bench/calibrate_input_detectors.py), flags
as many attacks with fewer false blocks than either alone. The vote reuses the similarities the evidence
(nearest exemplars) needs anyway: one matrix-vector product per scored part.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float64]
Stored = NDArray[np.float32]  # a detector's exemplar vectors, as built and as cached


class BadVectors(ValueError):
    """The embedder's answer cannot be compared with anything: the wrong number of vectors, the wrong dimension,
    NaN or infinite values, or (where it matters) an all-zero vector. Its message is for the trace."""


def checked_rows(rows: object, expected: int, dimension: int | None = None, *, allow_zero: bool = False) -> Vectors:
    """`rows` (an embedder's answer for `expected` texts) as a float64 matrix, or BadVectors saying what is wrong:
    NaN would make every score NaN (compared with a threshold, silently never flagged), and a short answer would
    pair scores with the wrong texts."""
    try:
        matrix = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as exc:  # ragged rows (vectors of different lengths) or not numbers
        raise BadVectors(f"the embedder returned vectors of mixed lengths or non-numbers ({exc})") from exc
    if matrix.ndim != 2 or matrix.shape[0] != expected:
        got = matrix.shape[0] if matrix.ndim else 0
        raise BadVectors(f"the embedder returned {got} vectors for {expected} texts")
    if dimension is not None and matrix.shape[1] != dimension:
        raise BadVectors(f"the embedder returned {matrix.shape[1]}-dimensional vectors, {dimension} expected")
    if not np.isfinite(matrix).all():
        raise BadVectors("the embedder returned NaN or infinite values")
    if not allow_zero and (np.abs(matrix).max(axis=1, initial=0.0) == 0.0).any():
        raise BadVectors("the embedder returned an all-zero vector (no direction to compare)")
    return matrix


def similarities(exemplars: Stored | Vectors, rows: Vectors) -> Vectors:
    """Cosine similarity of each row to each exemplar (unit vectors), computed in the exemplars' dtype: a
    detector's vectors are float32, and upcasting the whole matrix per question would cost more than the product."""
    rows = np.atleast_2d(np.asarray(rows)).astype(exemplars.dtype, copy=False)
    return np.asarray(rows @ exemplars.T, dtype=np.float64)


def neighbour_vote(sims: Vectors, labels: NDArray[np.int_], weights: Vectors, *, k: int, temperature: float) -> Vectors:
    """P(positive) per row of `sims` (similarities of each scored text to every exemplar): the share of positive
    weight among its `k` most similar exemplars, each weighted by its sample weight times
    exp(similarity / temperature)."""
    sims = np.atleast_2d(np.asarray(sims, dtype=np.float64))
    k = max(1, min(k, sims.shape[1]))
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(sims, idx, axis=1)
    # exp of the similarity relative to the row's best, so the weights never overflow whatever the temperature
    w = np.exp((near - near.max(axis=1, keepdims=True)) / temperature) * np.asarray(weights, dtype=np.float64)[idx]
    positive = np.asarray(labels)[idx] == 1
    return np.asarray((w * positive).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-300), dtype=np.float64)
