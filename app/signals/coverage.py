"""The `question_coverage` signal (retrieval stage): how much of the question the indexed corpus covers, as the
share of the question's words that occur anywhere in it, each word weighed by how specific it is in its language
(`app.signals.specificity`), with the words it lacks as evidence, most specific first.

App layer (signals). A BM25 statistic (document frequency 0), read from the lexical index through a plain
callable, so this module needs neither the index nor the service. The relevance guardrail turns the unknown
share into a penalty: a question about things the corpus never mentions is not covered by it.

Words, not index terms: a Chinese compound counts once, covered in part by the share of its parts the corpus
uses ("好几行": "好几" occurs, "几行" does not -> half covered); the index's overlapping parts are not words
of the question. Latin-script identifiers count with their parts, as the index cuts them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import ClassVar

from app.documents.terms import Word, question_words
from app.signals.specificity import specificity
from guardrails import GuardContext, Signal, Stage
from guardrails.relevance import COVERAGE_SIGNAL

TermsOf = Callable[[str], tuple[tuple[str, ...], tuple[str, ...]]]  # text -> (terms, terms the corpus lacks)
WordsOf = Callable[[str], Sequence[Word]]
Weigh = Callable[[str], float]  # a word's text -> its weight in the share
MAX_EVIDENCE = 10


def covered(word: Word, checked: Collection[str], unknown: Collection[str]) -> float:
    """How much of `word` the corpus uses: 1 when its term occurs, else the share of its parts that occur
    (parts the index was not asked about do not count), else 0."""
    if word.term not in unknown:
        return 1.0
    parts = [p for p in word.parts if p in checked]
    return sum(1 for p in parts if p not in unknown) / len(parts) if parts else 0.0


@dataclass(frozen=True)
class QuestionCoverage:
    name: ClassVar[str] = COVERAGE_SIGNAL
    stage: ClassVar[Stage] = "retrieval"

    terms_of: TermsOf
    words_of: WordsOf = question_words
    weigh: Weigh = specificity

    def score(self, ctx: GuardContext) -> Signal:
        wanted, unknown = self.terms_of(ctx.question)
        checked, missing = frozenset(wanted), frozenset(unknown)
        words = {w.term: w for w in self.words_of(ctx.question) if w.term in checked}  # each word once
        weights = {term: self.weigh(w.text) for term, w in words.items()}
        shares = {term: covered(w, checked, missing) for term, w in words.items()}
        total = sum(weights.values())
        if total > 0:
            share = sum(weights[t] * shares[t] for t in words) / total
        else:  # no word to weigh (cannot happen with the index's own cut): the plain share of terms
            share = 1.0 - len(missing) / len(wanted) if wanted else 1.0
        lacking = sorted((t for t in words if shares[t] < 1.0), key=lambda t: -weights[t])  # most specific first
        return Signal(
            name=self.name,
            score=round(share, 4),
            evidence=tuple(words[t].text for t in lacking[:MAX_EVIDENCE]),
            details={
                "terms": len(wanted),
                "unknown": len(unknown),
                "words": len(words),
                "weights": {words[t].text: round(weights[t], 1) for t in lacking[:MAX_EVIDENCE]},
            },
        )
