"""Out-of-fold scores of an input detector on its own tune split: how its thresholds are chosen without ever
looking at a report split (the exemplars ARE the tune split, so in-sample scores would flatter it).

App layer (signals). k folds by a hash of each exemplar's base key (an exemplar's windows stay in its fold);
each fold is scored, whole text and windows as the scorer does, by a model trained on the other folds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals.detector import DetectorSpec, blended, build_detector, sample_weights
from app.signals.input_detectors import INJECTION, VAGUENESS
from app.signals.linear import train_logistic

SPECS = {"injection": INJECTION, "vagueness": VAGUENESS}


class OutOfFold(BaseModel):
    """One tune-split exemplar with the score a model that never saw it gave it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    text: str
    kind: str
    lang: str
    team: bool
    score: float


def _fold(key: str, folds: int) -> int:
    return int(hashlib.sha256(("fold:" + key.split("#chars")[0]).encode("utf-8")).hexdigest(), 16) % folds


def cross_validate_detector(
    name: str,
    embedder: IdentifiedEmbeddings,
    *,
    team_dir: Path,
    shared_dir: Path | None,
    corpus_dir: Path | None,
    cache_dir: Path,
    folds: int = 5,
    overrides: dict[str, Any] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> list[OutOfFold]:
    """Out-of-fold scores for the base exemplars (not their windows) of detector `name`."""
    spec: DetectorSpec = replace(SPECS[name], **(overrides or {}))
    det = build_detector(
        spec, embedder, team_dir=team_dir, shared_dir=shared_dir, cache_dir=cache_dir, corpus_dir=corpus_dir, log=log
    )
    exemplars, labels, vectors = det.exemplars, det.labels, det.vectors
    weights = sample_weights(spec, list(exemplars), labels)
    fold = np.array([_fold(e.key, folds) for e in exemplars])
    out: list[OutOfFold] = []
    for k in range(folds):
        train = fold != k
        model = train_logistic(vectors[train], labels[train], sample_weight=weights[train], l2=spec.l2)
        for i in np.where(~train)[0]:
            e = exemplars[i]
            if "#chars" in e.key or e.dataset == "docs":
                continue
            spans = det.windows(e.text)
            rows = [vectors[i]] + (embedder.embed_documents([w for _, w in spans]) if spans else [])
            probs = blended(spec, model, vectors[train], labels[train], weights[train], np.asarray(rows, dtype=np.float64))
            score = float(probs.max())
            out.append(OutOfFold(key=e.key, text=e.text, kind=e.kind, lang=e.lang, team=e.team, score=score))
    return out
