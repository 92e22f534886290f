"""The grounding guardrail's contradiction checks, as a registry: which check runs, when, and in what order.

Pure policy layer (stdlib), used by guardrails/grounding.py. Each entry names a check, the policy flags
(GroundingGuardrail fields) that must all be on for it to run, whether it compares only an answer and a passage in
the same language, and the call. `run_checks` runs the enabled ones in the order of CHECKS, which is the order of
the findings in a verdict's reason, evidence and details (shown to users and traced): append new checks at the end.
Across languages, where no word is shared, `run_cross_checks` compares the clause pairs the similarity signal
aligned (crosslingual.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from guardrails.alignment import Contradiction
from guardrails.claims import replaced_commands, same_language
from guardrails.comparisons import swapped_comparisons
from guardrails.cross_numbers import changed_numbers
from guardrails.crosslingual import AlignedClause, cross_contradictions
from guardrails.equated import equated_comparisons
from guardrails.list_counts import wrong_counts
from guardrails.modals import flipped_modals
from guardrails.opposites import opposite_terms
from guardrails.overclaims import overgeneralized
from guardrails.paired_senses import swapped_senses
from guardrails.polarity import contradictions
from guardrails.precedence import swapped_precedence
from guardrails.relations import swapped_relations
from guardrails.step_order import swapped_steps
from guardrails.substitutions import swapped_terms
from guardrails.tables import borrowed_cells
from guardrails.units import changed_units, renamed_units
from guardrails.values import rebound_values, swapped_pairs

Flag = Literal["check_contradictions", "check_overclaims", "check_key_values", "check_opposites", "check_units"]


class CheckPolicy(Protocol):
    """The settings the checks read: GroundingGuardrail's fields of the same names."""

    @property
    def check_contradictions(self) -> bool: ...
    @property
    def check_overclaims(self) -> bool: ...
    @property
    def check_key_values(self) -> bool: ...
    @property
    def check_opposites(self) -> bool: ...
    @property
    def check_units(self) -> bool: ...
    @property
    def min_alignment(self) -> float: ...
    @property
    def min_tokens(self) -> int: ...
    @property
    def lead_flips(self) -> int: ...
    @property
    def min_cross_alignment(self) -> float: ...
    @property
    def min_cross_wording(self) -> float: ...
    @property
    def check_cross_language(self) -> bool: ...
    @property
    def check_cross_numbers(self) -> bool: ...


@dataclass(frozen=True)
class ContradictionCheck:
    """One check: `run(claim, support, policy)` when every flag of `flags` is on (and, when `same_language`, only
    when the answer is written in its passage's language: its words can then be compared with the passage's)."""

    name: str  # the kind(s) of its findings
    flags: tuple[Flag, ...]
    same_language: bool
    run: Callable[[str, str, CheckPolicy], list[Contradiction]]

    def enabled(self, policy: CheckPolicy) -> bool:
        return all(getattr(policy, flag) for flag in self.flags)


def unit_changes(answer: str, support: str) -> list[Contradiction]:
    """Numbers given in another unit than the passage's, and units named in words the passage never names."""
    changed = changed_units(answer, support)
    told = {c.claim for c in changed}  # a clause already shown in another unit is not reported twice
    return changed + [c for c in renamed_units(answer, support) if c.claim not in told]


_ON: tuple[Flag, ...] = ("check_contradictions",)
CHECKS: tuple[ContradictionCheck, ...] = (
    ContradictionCheck(
        "polarity/affirmed/scope/number",
        _ON,
        True,
        lambda a, s, p: contradictions(a, s, min_alignment=p.min_alignment, min_tokens=p.min_tokens, lead_flips=p.lead_flips),
    ),
    ContradictionCheck("modal", _ON, True, lambda a, s, p: flipped_modals(a, s, min_alignment=p.min_alignment)),
    ContradictionCheck("order", _ON, True, lambda a, s, p: swapped_comparisons(a, s, min_alignment=p.min_alignment)),
    ContradictionCheck("relation", _ON, True, lambda a, s, p: swapped_relations(a, s, min_alignment=p.min_alignment)),
    ContradictionCheck("precedence", _ON, True, lambda a, s, p: swapped_precedence(a, s, min_alignment=p.min_alignment)),
    ContradictionCheck("command", _ON, True, lambda a, s, p: replaced_commands(a, s, min_alignment=p.min_alignment)),
    ContradictionCheck("term", _ON, True, lambda a, s, p: swapped_terms(a, s)),
    ContradictionCheck(
        "general",
        (*_ON, "check_overclaims"),
        True,
        lambda a, s, p: overgeneralized(a, s, min_alignment=p.min_alignment, min_tokens=p.min_tokens),
    ),
    ContradictionCheck("value", (*_ON, "check_key_values"), True, lambda a, s, p: rebound_values(a, s)),
    ContradictionCheck("row", (*_ON, "check_key_values"), True, lambda a, s, p: borrowed_cells(a, s)),
    ContradictionCheck(
        "opposite",
        (*_ON, "check_opposites"),
        True,
        lambda a, s, p: opposite_terms(a, s, min_alignment=p.min_alignment, min_tokens=p.min_tokens),
    ),
    ContradictionCheck("paired", (*_ON, "check_opposites"), True, lambda a, s, p: swapped_senses(a, s)),
    # Numbers, units and names: the same in either language.
    ContradictionCheck("unit/unit_name", (*_ON, "check_units"), False, lambda a, s, p: unit_changes(a, s)),
    ContradictionCheck("pair", (*_ON, "check_key_values"), False, lambda a, s, p: swapped_pairs(a, s)),
    ContradictionCheck("equated", _ON, True, lambda a, s, p: equated_comparisons(a, s)),
    ContradictionCheck("step_order", _ON, True, lambda a, s, p: swapped_steps(a, s)),
    ContradictionCheck("list_count", _ON, True, lambda a, s, p: wrong_counts(a, s)),
)


def run_checks(claim: str, support: str, policy: CheckPolicy) -> list[Contradiction]:
    """The findings of every enabled check of CHECKS, in its order; the same-language checks only when the answer
    is written in its passage's language."""
    found: list[Contradiction] = []
    shared: bool | None = None  # same_language(), read once and only when a check needs it
    for check in CHECKS:
        if not check.enabled(policy):
            continue
        if check.same_language:
            shared = same_language(claim, support) if shared is None else shared
            if not shared:
                continue
        found += check.run(claim, support, policy)
    return found


# The cross-language findings of a kind that a same-language check also reports are off when that check is off.
_CROSS_FLAGS: dict[str, Flag] = {"opposite": "check_opposites", "general": "check_overclaims"}


def run_cross_checks(pairs: Sequence[AlignedClause], policy: CheckPolicy, support: str) -> list[Contradiction]:
    """The aligned clause pairs of an answer in another language than its passage that contradict: by negation,
    opposite senses or absolutes (crosslingual.py, `check_cross_language`), by another number (cross_numbers.py,
    `check_cross_numbers`, at `min_cross_wording`: a number, like an opposite, is a particular word on both sides)."""
    found: list[Contradiction] = []
    if policy.check_cross_language:
        found = cross_contradictions(pairs, min_similarity=policy.min_cross_alignment, min_wording=policy.min_cross_wording)
        found = [c for c in found if c.kind not in _CROSS_FLAGS or getattr(policy, _CROSS_FLAGS[c.kind])]
    if policy.check_cross_numbers:
        told = {c.claim for c in found}  # at most one contradiction per answer clause, as crosslingual.py reports
        found += [
            c for c in changed_numbers(pairs, min_similarity=policy.min_cross_wording, support=support) if c.claim not in told
        ]
    return found


_CONTRADICTS = {
    "polarity": "negates what",
    "modal": "negates a can/need/will/should of",
    "paired": "says of each of two opposites what is said of the other in",
    "scope": "says of all or none what is said of only some in",
    "affirmed": "affirms what is negated in",
    "number": "gives another number than",
    "value": "gives a name another value than",
    "row": "gives a table row's name another row's cell, not what its row says in",
    "opposite": "turns a word into its opposite in",
    "unit": "gives a number in another unit than",
    "unit_name": "names another unit than",
    "relation": "swaps the two things related in",
    "precedence": "puts second what comes first in",
    "pair": "gives a value of a paired list another name than",
    "command": "runs another command than",
    "general": "states without exception what is hedged in",
    "term": "puts another term of the passage in place of a term of",
    "equated": "calls alike two things ranked in",
    "step_order": "tells in the opposite order two steps of",
    "list_count": "gives another count of the items listed than",
}


def reason_of(c: Contradiction) -> str:
    """A finding as the verdict's reason states it."""
    what = _CONTRADICTS.get(c.kind, "swaps the comparison of")
    return f"the answer {what} the cited sentence it restates: “{c.claim[:80]}” vs “{c.sentence[:80]}”"


def evidence_of(c: Contradiction) -> str:
    """A finding as the verdict's evidence names it: its kind and terms."""
    return f"{c.kind}: {', '.join(c.terms)}"


def details_of(c: Contradiction) -> dict[str, object]:
    """A finding as the verdict's details record it."""
    return {"kind": c.kind, "claim": c.claim, "sentence": c.sentence, "terms": list(c.terms)}
