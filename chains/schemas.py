"""Schemas of the QA chain: what the model must emit (and its JSON schema for constrained decoding),
and the typed result every request ends in.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chains.trace import TraceEvent
from guardrails import Chunk, Turn, Verdict

Status = Literal["answered", "clarify", "refused", "fallback", "error"]
# Which rung of the ladder produced the answer (None when no answer was attempted).
Rung = str

MAX_ANSWER_CHARS = 600
MAX_CITATIONS = 4


class ModelAnswer(BaseModel):
    """The only structure the model is asked for. confidence/needs_clarification are computed in code,
    never taken from the model (small models emit constants for them)."""

    model_config = ConfigDict(extra="ignore")  # lenient about extra keys; they are dropped, not trusted

    # Stripped before the length check: "   " (or "\n") met min_length=1 and ended as an "answered" blank answer that
    # every output check passed (it has no claim to fail); now it is a parse failure, and the re-ask says why.
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ANSWER_CHARS * 2)]
    citations: list[str] = Field(default_factory=list, max_length=MAX_CITATIONS * 2)

    @field_validator("citations", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        """A bare string is the list it names ("S1", "S1, S2"): a model without a grammar (format="json") writes one,
        and the whole reply was rejected for it, costing a re-ask."""
        return [part for part in _SEPARATORS.split(value) if part] if isinstance(value, str) else value

    @field_validator("citations")
    @classmethod
    def _trimmed(cls, value: list[str]) -> list[str]:
        """ " S1", "[S1]", "s1" and "S01" from a model without a grammar are the label S1: normalised here, once, so
        every check and the cited sources match labels exactly (the citations guardrail does not normalise)."""
        return [_label(label) for label in value]


_SEPARATORS = re.compile(r"[\s,;]+")
_LABEL = re.compile(r"\[?\s*[Ss]0*(\d{1,4})\s*\]?")


def _label(text: str) -> str:
    """The prompt's label S<n> that `text` spells another way ("[S1]", "s1", "S01"), else `text` trimmed."""
    found = _LABEL.fullmatch(text.strip())
    return f"S{found.group(1)}" if found else text.strip()


def answer_chars_for(num_predict: int) -> int:
    """The longest answer string that still lets a grammar-constrained reply close its JSON within
    num_predict tokens: worst case ~3 tokens per character (CJK through byte-level tokens), minus the JSON
    around it. Measured failure without it: SmolLM2 repeated "###" until num_predict cut the reply open."""
    return max(40, min(MAX_ANSWER_CHARS, (num_predict - 64) // 3))


def answer_json_schema(labels: list[str], *, max_answer_chars: int) -> dict[str, Any]:
    """JSON schema passed as Ollama's `format`: capped string length, citation ids as an enum of the
    labels actually retrieved, so a grammar-constrained model cannot invent a source. The cap has no default
    on purpose: it must fit the request's num_predict (answer_chars_for), or a looping reply runs past it."""
    citation: dict[str, Any] = {"type": "string", "enum": labels} if labels else {"type": "string"}
    # citations first: grammar-constrained decoding follows property order, so a reply cut off at
    # num_predict still carries its citations and only the answer string needs repair.
    return {
        "type": "object",
        "properties": {
            "citations": {"type": "array", "items": citation, "minItems": 1 if labels else 0, "maxItems": MAX_CITATIONS},
            "answer": {"type": "string", "minLength": 1, "maxLength": max_answer_chars},
        },
        "required": ["citations", "answer"],
        "additionalProperties": False,
    }


class QARequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    question: str
    history: tuple[Turn, ...] = ()


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    chunk_id: str
    label: str = ""
    text: str = Field(default="", description="The cited chunk's text, for showing the source.")
    score: float | None = None


class Clarification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    missing: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()


class OutputCheck(BaseModel):
    """One output guardrail's verdict on one attempt of one model rung. A request lists every attempt's checks,
    the rejected ones too: an answer that a later rung gave still says the citations check fired twice before."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verdict: Verdict
    attempt: int
    rung: str
    model: str


class QAResult(BaseModel):
    """The chain's typed outcome. Never carries unparsed model output in `answer`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Status
    answer: str | None = None
    citations: tuple[Citation, ...] = ()
    verdicts: tuple[Verdict, ...] = ()
    rung: Rung | None = Field(
        default=None, description="Ladder rung that answered: model rung name, 'extractive' or 'cannot_answer'."
    )
    model: str | None = Field(default=None, description="Model that produced the answer, if any.")
    backend: str | None = Field(
        default=None, description="Backend of the model rung that produced the answer (its ModelRung.backend), if any."
    )
    confidence: float | None = Field(default=None, description="Computed from retrieval and grounding, 0..1.")
    needs_clarification: bool = False
    clarification: Clarification | None = None
    message: str | None = Field(default=None, description="What happened, in words a user can act on.")
    retrieved: tuple[Chunk, ...] = ()
    events: tuple[TraceEvent, ...] = ()
    llm_calls: int = 0
    output_checks: tuple[OutputCheck, ...] = Field(
        default=(), description="The output guardrails' verdicts on every attempt of every rung, in order."
    )
