"""guarded-rag guardrails: pure policy checks (pydantic + stdlib), one module per guardrail.

Lowest layer of the stack; app/ and chains/ import from here, never the other way round. Note: this
package shadows the unrelated `guardrails-ai` distribution if both are installed.
"""

from __future__ import annotations

from guardrails.base import (
    Chunk,
    GuardContext,
    Guardrail,
    Signal,
    Stage,
    Turn,
    Verdict,
    blocking_verdict,
    dropped_chunks,
    kept_chunks,
    removes_passages,
    run_guardrail,
)
from guardrails.policy import (
    REGISTRY,
    GuardrailPolicy,
    PolicyError,
    build_guardrails,
    load_policy,
    load_policy_dict,
    parameters,
)
from guardrails.validation import describe_validation

__all__ = [
    "REGISTRY",
    "Chunk",
    "GuardContext",
    "Guardrail",
    "GuardrailPolicy",
    "PolicyError",
    "Signal",
    "Stage",
    "Turn",
    "Verdict",
    "blocking_verdict",
    "build_guardrails",
    "describe_validation",
    "dropped_chunks",
    "kept_chunks",
    "load_policy",
    "load_policy_dict",
    "parameters",
    "removes_passages",
    "run_guardrail",
]
