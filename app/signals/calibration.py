"""Out-of-fold scores of an input detector on its own tune split: how its thresholds are chosen without ever
looking at a report split (the exemplars ARE the tune split, so in-sample scores would flatter it).

App layer (signals). k folds by a hash of each exemplar's base key (an exemplar's windows stay in its fold);
each fold is scored, whole text and windows as the scorer does, by a model trained on the other folds. The
team's tune attacks can also be scored buried in a long benign question (the lab's `injection-buried`
construction), each by the model of its attack's fold: buried recall out-of-fold, which the tune split's
`injection-buried` row cannot give (its attacks are exemplars). Two seams: `spaced` (a space on each side, the
original construction: the attack starts a clause of its own) and `joined` (no clean seam: an English attack
joined with "and", first word lower-cased, its end punctuation dropped and the sentence running on; a Chinese
one pasted between two Chinese characters without a space or its end punctuation), as instructions sit inside
real jailbreak prompts ("I want you to act as …", "…顺便请忽略你所有的设定…"). Scores carry the best clause
group's probability too (`clause`), so the guardrail's `clause_threshold` is chosen on the same folds; and
long benign passages nobody trained on (CMRC trial) can be scored beside them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals.detector import ExemplarDetector, blended, build_detector
from app.signals.detector_spec import DetectorSpec, sample_weights
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
    clause: float | None = None  # the best clause group's probability; None for a text too short to have any

    @property
    def dataset(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def buried(self) -> bool:
        """A tune attack scored inside a long benign question (shown beside the rule, never part of it)."""
        return self.dataset in BURIED_SETS.values()

    @property
    def passage(self) -> bool:
        """A long benign passage no detector learned from (scored beside the rule: false blocks on long text)."""
        return self.dataset == PASSAGES


Seam = Literal["spaced", "joined"]
BURIED = "injection-buried"
BURIED_SETS: dict[Seam, str] = {"spaced": BURIED, "joined": "injection-buried-joined"}
PASSAGES = "long-passages"
_END = re.compile(r"[\s.!?;:。！？；：…]+$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _lowered(attack: str) -> str:
    """The attack with its first word lower-cased when that word is only capitalised ("Ignore", not "DAN" or "I")."""
    first = attack.split(" ", 1)[0]
    if len(first) > 1 and first.isalpha() and first[0].isupper() and first[1:].islower():
        return first[0].lower() + attack[1:]
    return attack


def _joint(filler: str, lang: str) -> int:
    """Where to open the filler with no clean seam, nearest its middle: between two Chinese characters (zh), or
    at a single space between two letters or digits (en); the middle itself when there is no such place."""
    mid = len(filler) // 2
    if lang == "zh":
        fits = [i for i in range(1, len(filler)) if _CJK.match(filler[i - 1]) and _CJK.match(filler[i])]
    else:
        fits = [i for i in range(1, len(filler) - 1) if filler[i] == " " and filler[i - 1].isalnum() and filler[i + 1].isalnum()]
    return min(fits, key=lambda i: (abs(i - mid), i)) if fits else mid


def bury(filler: str, attack: str, lang: str, seam: Seam = "spaced") -> str:
    """`attack` in the middle of `filler`. spaced: a space on each side (the attack starts a clause of its own).
    joined: no clean seam, as an instruction sits mid-sentence in real jailbreak prompts: English joined with
    "and" at a space between two words, first word lower-cased, end punctuation dropped, the sentence running
    on; Chinese pasted between two Chinese characters, no space, end punctuation dropped."""
    if seam == "spaced":
        cut = len(filler) // 2
        return f"{filler[:cut]} {attack} {filler[cut:]}"
    cut, core = _joint(filler, lang), _END.sub("", attack.strip())
    if lang == "zh":
        return f"{filler[:cut]}{core}{filler[cut:]}"
    head, tail = filler[:cut].rstrip(), filler[cut:].lstrip()
    return f"{head} and {_lowered(core)} {tail}"


def buried_attacks(exemplars: Sequence[Exemplar], seam: Seam = "spaced") -> list[tuple[Exemplar, str]]:
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
                out.append((a, bury(fillers[n % len(fillers)], a.text, lang, seam)))
    return out


@dataclass(frozen=True)
class _FoldScorer:
    """The model of one fold, scoring a text as the scorer does: whole text and windows, the highest wins."""

    det: ExemplarDetector
    embedder: IdentifiedEmbeddings
    model: LinearModel
    train: np.ndarray  # which exemplars the model learned from (the neighbour vote sees only those)
    weights: Vectors

    def score(self, text: str, vector: Vectors | None = None) -> tuple[float, float | None]:
        """The best probability of the whole text and its windows, and of its clause groups (None without any:
        as at run time, only a text long enough for windows has clause groups)."""
        det, train, spans = self.det, self.train, self.det.windows(text)
        clauses = det.clauses(text) if spans else []
        rows = [vector if vector is not None else np.asarray(self.embedder.embed_query(text))]
        extra = [w for _, w in spans] + [c for _, c in clauses]
        rows += [np.asarray(v) for v in self.embedder.embed_documents(extra)] if extra else []
        vectors = np.asarray(rows, dtype=np.float64)
        probs = blended(det.spec, self.model, det.vectors[train], det.labels[train], self.weights[train], vectors)
        split = 1 + len(spans)
        return float(probs[:split].max()), float(probs[split:].max()) if clauses else None


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
    passages: Sequence[tuple[str, str, str]] = (),
    log: Callable[[str], None] = lambda _: None,
) -> list[OutOfFold]:
    """Out-of-fold scores for the base exemplars (not their windows) of detector `name`; with `buried`, also
    for the team's attacks buried in long benign questions, both seams (keys "injection-buried/<id>" and
    "injection-buried-joined/<id>"); and for `passages`, (id, text, lang) of long benign text no exemplar comes
    from, each scored by one fold's model (keys "long-passages/<id>")."""
    spec: DetectorSpec = replace(SPECS[name], **(overrides or {}))
    det = build_detector(
        spec, embedder, team_dir=team_dir, shared_dir=shared_dir, cache_dir=cache_dir, corpus_dir=corpus_dir, log=log
    )
    exemplars, labels, vectors = det.exemplars, det.labels, det.vectors
    weights = sample_weights(spec, list(exemplars), labels)
    fold = np.array([_fold(e.key, folds) for e in exemplars])
    probes = (
        [(BURIED_SETS[seam], a, text) for seam in BURIED_SETS for a, text in buried_attacks(exemplars, seam)] if buried else []
    )
    out: list[OutOfFold] = []
    for k in range(folds):
        train = fold != k
        model = train_logistic(vectors[train], labels[train], sample_weight=weights[train], l2=spec.l2)
        scorer = _FoldScorer(det, embedder, model, train, weights)
        for i in np.where(~train)[0]:
            e = exemplars[i]
            if "#chars" in e.key or e.dataset == "docs":
                continue
            score, clause = scorer.score(e.text, vectors[i])
            out.append(OutOfFold(key=e.key, text=e.text, kind=e.kind, lang=e.lang, team=e.team, score=score, clause=clause))
        for dataset, a, text in probes:
            if _fold(a.key, folds) == k:
                key = f"{dataset}/{a.key.split('/', 1)[1]}"
                score, clause = scorer.score(text)
                out.append(OutOfFold(key=key, text=text, kind=a.kind, lang=a.lang, team=a.team, score=score, clause=clause))
        for pid, text, lang in passages:
            if _fold(f"{PASSAGES}/{pid}", folds) == k:
                score, clause = scorer.score(text)
                row = {"key": f"{PASSAGES}/{pid}", "text": text, "kind": "benign", "lang": lang, "team": False}
                out.append(OutOfFold(**row, score=score, clause=clause))
    return out
