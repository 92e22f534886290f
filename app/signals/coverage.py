"""The `question_coverage` signal (retrieval stage): the share of the question's terms that occur anywhere in
the indexed corpus, with the ones that do not as evidence.

App layer (signals). A BM25 statistic (document frequency 0), read from the lexical index through a plain
callable, so this module needs neither the index nor the service. The relevance guardrail turns the unknown
share into a penalty: a question about things the corpus never mentions is not covered by it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from guardrails import GuardContext, Signal, Stage
from guardrails.relevance import COVERAGE_SIGNAL

TermsOf = Callable[[str], tuple[tuple[str, ...], tuple[str, ...]]]  # text -> (terms, terms the corpus lacks)


@dataclass(frozen=True)
class QuestionCoverage:
    name: ClassVar[str] = COVERAGE_SIGNAL
    stage: ClassVar[Stage] = "retrieval"

    terms_of: TermsOf

    def score(self, ctx: GuardContext) -> Signal:
        wanted, unknown = self.terms_of(ctx.question)
        share = 1.0 - len(unknown) / len(wanted) if wanted else 1.0
        return Signal(
            name=self.name,
            score=round(share, 4),
            evidence=tuple(unknown[:10]),
            details={"terms": len(wanted), "unknown": len(unknown)},
        )
