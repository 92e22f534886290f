"""The hand-written logistic regression: it separates what is separable, honours weights, and refuses one class."""

from __future__ import annotations

import numpy as np
import pytest

from app.signals.linear import train_logistic


def test_separates_two_clusters() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(1.0, 0.3, (40, 5)), rng.normal(-1.0, 0.3, (40, 5))])
    y = np.array([1] * 40 + [0] * 40)
    model = train_logistic(x, y, l2=0.1)
    p = model.probability(x)
    assert (p[:40] > 0.9).all() and (p[40:] < 0.1).all()
    assert ((p >= 0) & (p <= 1)).all()


def test_sample_weights_move_the_boundary() -> None:
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    plain = train_logistic(x, y, l2=0.01).probability(np.array([[1.5]]))[0]
    heavy = train_logistic(x, y, sample_weight=np.array([1.0, 10.0, 1.0, 1.0]), l2=0.01).probability(np.array([[1.5]]))[0]
    assert heavy < plain  # a heavy negative next to the boundary pushes it toward the positives


def test_extreme_scores_do_not_overflow() -> None:
    model = train_logistic(np.array([[0.0], [1.0]]), np.array([0, 1]), l2=0.0001)
    p = model.probability(np.array([[1e6], [-1e6]]))
    assert p[0] == pytest.approx(1.0) and p[1] == pytest.approx(0.0)


def test_one_class_is_an_error() -> None:
    with pytest.raises(ValueError, match="both classes"):
        train_logistic(np.ones((3, 2)), np.array([1, 1, 1]))
