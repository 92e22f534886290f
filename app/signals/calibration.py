"""Out-of-fold scores of an input detector on its own tune split: how its thresholds are chosen without ever
looking at a report split (the exemplars ARE the tune split, so in-sample scores would flatter it).

App layer (signals). k folds by a hash of each exemplar's base key (an exemplar's windows stay in its fold);
each fold is scored, whole text and windows as the scorer does, by a model trained on the other folds. The
team's tune attacks can also be scored buried in a long benign question (the lab's `injection-buried`
construction), each by the model of its attack's fold: buried recall out-of-fold, which the tune split's
`injection-buried` row cannot give (its attacks are exemplars).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals.detector import DetectorSpec, ExemplarDetector, blended, build_detector, sample_weights
from app.signals.exemplars import Exemplar
from app.signals.input_detectors import INJECTION, VAGUENESS
from app.signals.linear import LinearModel, Vectors, train_logistic

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

    @property
    def dataset(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def buried(self) -> bool:
        """A tune attack scored inside a long benign question (shown beside the rule, never part of it)."""
        return self.dataset == BURIED


BURIED = "injection-buried"


def buried_attacks(exemplars: Sequence[Exemplar]) -> list[tuple[Exemplar, str]]:
    """(attack, text): each team attack of at most 300 characters in the middle of a long team benign question
    of its language, the filler chosen in turn; the construction of app/lab/evaluation/derived.py (a test
    checks the two agree), over exemplars instead of evaluation items."""
    out: list[tuple[Exemplar, str]] = []
    whole = [e for e in exemplars if "#" not in e.key]  # not the windows of long exemplars
    for lang in ("zh", "en"):
        long = 200 if lang == "en" else 100
        fillers = [e.text for e in whole if e.dataset == "benign" and e.lang == lang and len(e.text) >= long]
        attacks = [e for e in whole if e.dataset == "injection" and e.kind == "injection" and e.lang == lang]
        for n, a in enumerate(a for a in attacks if len(a.text) <= 300):
            if fillers:
                filler = fillers[n % len(fillers)]
                cut = len(filler) // 2
                out.append((a, f"{filler[:cut]} {a.text} {filler[cut:]}"))
    return out


@dataclass(frozen=True)
class _FoldScorer:
    """The model of one fold, scoring a text as the scorer does: whole text and windows, the highest wins."""

    det: ExemplarDetector
    embedder: IdentifiedEmbeddings
    model: LinearModel
    train: np.ndarray  # which exemplars the model learned from (the neighbour vote sees only those)
    weights: Vectors

    def score(self, text: str, vector: Vectors | None = None) -> float:
        det, train, spans = self.det, self.train, self.det.windows(text)
        rows = [vector if vector is not None else np.asarray(self.embedder.embed_query(text))]
        rows += [np.asarray(v) for v in self.embedder.embed_documents([w for _, w in spans])] if spans else []
        vectors = np.asarray(rows, dtype=np.float64)
        probs = blended(det.spec, self.model, det.vectors[train], det.labels[train], self.weights[train], vectors)
        return float(probs.max())


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
    buried: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> list[OutOfFold]:
    """Out-of-fold scores for the base exemplars (not their windows) of detector `name`; with `buried`, also
    for the team's attacks buried in long benign questions (keys "injection-buried/<id>")."""
    spec: DetectorSpec = replace(SPECS[name], **(overrides or {}))
    det = build_detector(
        spec, embedder, team_dir=team_dir, shared_dir=shared_dir, cache_dir=cache_dir, corpus_dir=corpus_dir, log=log
    )
    exemplars, labels, vectors = det.exemplars, det.labels, det.vectors
    weights = sample_weights(spec, list(exemplars), labels)
    fold = np.array([_fold(e.key, folds) for e in exemplars])
    probes = buried_attacks(exemplars) if buried else []
    out: list[OutOfFold] = []
    for k in range(folds):
        train = fold != k
        model = train_logistic(vectors[train], labels[train], sample_weight=weights[train], l2=spec.l2)
        scorer = _FoldScorer(det, embedder, model, train, weights)
        for i in np.where(~train)[0]:
            e = exemplars[i]
            if "#chars" in e.key or e.dataset == "docs":
                continue
            score = scorer.score(e.text, vectors[i])
            out.append(OutOfFold(key=e.key, text=e.text, kind=e.kind, lang=e.lang, team=e.team, score=score))
        for a, text in probes:
            if _fold(a.key, folds) == k:
                key = f"{BURIED}/{a.key.split('/', 1)[1]}"
                out.append(OutOfFold(key=key, text=text, kind=a.kind, lang=a.lang, team=a.team, score=scorer.score(text)))
    return out
