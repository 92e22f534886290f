"""Typed records of the evaluation lab: one question to ask (EvalItem), one outcome per mode (RunRecord).

App layer, below the CLI and the UI. Records are appended to a JSONL file as a run goes, so a run can be
interrupted and resumed; everything here is frozen pydantic so the file round-trips exactly.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["answerable", "vague", "clear", "unanswerable", "injection", "benign", "supported", "unsupported"]
Mode = Literal["guarded", "raw"]
MODES: tuple[Mode, ...] = ("guarded", "raw")
# Kinds scored at the input stage only: the "flagged" decision is made before retrieval and the model, and
# running the rest of the chain would send attack text to the model for nothing.
SCREENED_KINDS: frozenset[str] = frozenset({"injection", "benign"})
# Kinds `--retrieval-only` scores after the retrieval guardrails (relevance decides refusal there; no model).
RETRIEVAL_KINDS: frozenset[str] = frozenset({"answerable", "unanswerable"})
# Kinds of the grounding set: a given answer to a given passage, judged by the output guardrails (no model).
GROUNDING_KINDS: frozenset[str] = frozenset({"supported", "unsupported"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvalItem(_Frozen):
    """One question with its labels. `answer_keywords` must all appear; one of `gold_answers` must appear."""

    dataset: str
    id: str
    question: str
    kind: Kind
    lang: str = "?"
    answer_keywords: tuple[str, ...] = ()
    gold_answers: tuple[str, ...] = ()
    expected_sources: tuple[str, ...] = ()
    answer: str | None = Field(default=None, description="Grounding set: the answer to judge.")
    anchor: str | None = Field(default=None, description="Grounding set: text that picks the passage's chunk.")
    passage: str | None = Field(
        default=None, description="Answer sets: the cited passage itself, when it is not a chunk of data/docs (a planted one)."
    )
    category: str = Field(default="", description="Grounding set: paraphrase, quote, number, wrong_fact, heading, echo, loop.")
    history: tuple[str, ...] = Field(
        default=(), description="Earlier user messages sent before the question (no answer between)."
    )

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.id}"

    @property
    def fingerprint(self) -> str:
        """What the item asks and expects (question, labels, gold), not its name: a record made for another
        version of the row (the user edited their file, kept the id) is redone on resume, not reused."""
        text = self.model_dump_json(exclude={"dataset", "id"})
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class RunRecord(_Frozen):
    """What one mode did with one item. No question text is stored (injection sets hold offensive text)."""

    dataset: str
    id: str
    kind: Kind
    mode: Mode
    lang: str = "?"
    category: str = ""
    status: str = Field(
        description="guarded: the AskResponse status ('passed' for a screened item that was not flagged); raw: 'answered' or 'error'."
    )
    answer: str | None = None
    first_output: str | None = Field(default=None, description="The first model reply, verbatim (truncated).")
    first_valid: bool | None = Field(
        default=None, description="First reply is one JSON object matching ModelAnswer; None without a model call."
    )
    final_valid: bool | None = Field(
        default=None, description="Some reply was eventually parsed into ModelAnswer; None without a model call."
    )
    parse_rung: str | None = None
    typed: bool = Field(description="The outcome is a typed result a program can use without guessing.")
    rung: str | None = None
    citations: tuple[str, ...] = ()
    invalid_citations: int = 0
    llm_calls: int = 0
    retries: int = Field(default=0, description="Re-asks plus transport retries.")
    latency_ms: float = 0.0
    clarify: bool = False
    declined: bool = False
    flagged: bool = False
    keyword_match: bool | None = Field(default=None, description="Gold check on the typed answer; None without gold.")
    text_match: bool | None = Field(
        default=None, description="Gold check on any text the mode produced (raw: unparsed reply too)."
    )
    retrieval_hit: bool | None = None
    hit_rank: int | None = Field(
        default=None, description="1-based rank of the first retrieved chunk from an expected source; 0 = none retrieved."
    )
    best_score: float | None = None
    relevance: float | None = Field(default=None, description="The relevance guardrail's score (what it compared).")
    fired: tuple[str, ...] = ()
    reason: str | None = Field(default=None, description="Why the guardrails that fired did (grounding set).")
    error: str | None = None
    item: str | None = Field(default=None, description="EvalItem.fingerprint of the row it answered; None before it was kept.")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.dataset, self.id, self.mode)


class RunMeta(_Frozen):
    """What a records file was produced with; a resumed run must match it."""

    backend: str
    model: str
    modes: tuple[Mode, ...]
    collection: str = "docs"
    top_k: int = 4
    retrieval: str = "hybrid"
    policy: str = Field(default="", description="sha256 of the guardrail policy the run used (first 12 hex digits).")
    corpora: dict[str, str] = Field(
        default_factory=dict,
        description="dataset -> the collection and corpus its records were computed on ('<collection>@<sha256 of the "
        "embedder and the indexed files' hashes, 12 hex digits>'); a resumed dataset must match it.",
    )
