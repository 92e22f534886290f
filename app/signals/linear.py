"""A weighted, L2-regularised logistic regression over embedding vectors: the semantic half of the input
detectors (inference is one dot product with 512 weights).

App layer (signals), numpy only. Hand-written on purpose: scikit-learn would add scikit-learn + scipy
(~100 MB) to the runtime for one model of a few hundred weights that is trained at first use (it cannot be
shipped pre-trained: third-party training data is read at run time, never committed). Newton's method on
d+1 parameters converges in a handful of steps for the few thousand exemplars we use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float64]


@dataclass(frozen=True)
class LinearModel:
    weights: Vectors
    bias: float

    def probability(self, vectors: Vectors) -> Vectors:
        """P(positive) for each row of `vectors`."""
        return _sigmoid(np.asarray(vectors, dtype=np.float64) @ self.weights + self.bias)


def _sigmoid(z: Vectors) -> Vectors:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the tanh form cannot overflow


def train_logistic(
    x: Vectors | NDArray[np.float32],
    y: NDArray[np.int_],
    *,
    sample_weight: Vectors | None = None,
    l2: float = 1.0,
    max_iter: int = 50,
) -> LinearModel:
    """Minimise sum_i w_i * logloss_i + l2/2 * |weights|^2 (the bias is not penalised) by Newton steps."""
    x = np.asarray(x, dtype=np.float64)  # float32 exemplar vectors (the detectors') are learned from in float64
    target = np.asarray(y, dtype=np.float64)
    n, d = x.shape
    if n == 0 or target.min() == target.max():
        raise ValueError("logistic regression needs examples of both classes")
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    xb = np.hstack([x, np.ones((n, 1))])
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    theta = np.zeros(d + 1)
    for _ in range(max_iter):
        p = _sigmoid(xb @ theta)
        grad = xb.T @ (w * (p - target)) + penalty * theta
        hessian = (xb * (w * p * (1 - p))[:, None]).T @ xb + np.diag(penalty) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hessian, grad)
        theta -= step
        if float(np.abs(step).max()) < 1e-7:
            break
    return LinearModel(weights=theta[:-1].copy(), bias=float(theta[-1]))
