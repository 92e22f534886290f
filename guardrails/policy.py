"""Guardrail policy: which guardrails run, in what order, with which thresholds.

Read from a validated TOML file (default: guardrails/default_policy.toml). The registry is an immutable
name -> class mapping: adding a guardrail is a module, a registry line and a test file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from guardrails.answer_relevance import AnswerRelevanceGuardrail
from guardrails.base import Guardrail, Stage
from guardrails.citations import CitationGuardrail
from guardrails.completeness import CompletenessGuardrail
from guardrails.context_injection import ContextInjectionGuardrail
from guardrails.degenerate_output import DegenerateOutputGuardrail
from guardrails.grounding import GroundingGuardrail
from guardrails.input_size import InputSizeGuardrail
from guardrails.prompt_injection import PromptInjectionGuardrail
from guardrails.relevance import RelevanceGuardrail

REGISTRY: Mapping[str, type] = MappingProxyType(
    {
        "input_size": InputSizeGuardrail,
        "prompt_injection": PromptInjectionGuardrail,
        "completeness": CompletenessGuardrail,
        "relevance": RelevanceGuardrail,
        "context_injection": ContextInjectionGuardrail,
        "degenerate_output": DegenerateOutputGuardrail,
        "citations": CitationGuardrail,
        "grounding": GroundingGuardrail,
        "answer_relevance": AnswerRelevanceGuardrail,
    }
)

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.toml")


class PolicyError(ValueError):
    """The policy file is missing, unreadable or invalid; the message names the offending entry."""


class GuardrailEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")

    enabled: bool = Field(default=True, description="Run this guardrail.")


class GuardrailPolicy(BaseModel):
    """Validated policy: guardrail name -> enabled flag and that guardrail's own parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    guardrails: dict[str, GuardrailEntry] = Field(default_factory=dict)

    def params(self, name: str) -> dict[str, Any]:
        entry = self.guardrails.get(name)
        return dict(entry.model_extra or {}) if entry else {}

    def is_enabled(self, name: str) -> bool:
        entry = self.guardrails.get(name)
        return True if entry is None else entry.enabled

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> GuardrailPolicy:
        """A copy with per-guardrail settings replaced (used by the UI's per-session settings)."""
        merged = {name: {**e.model_dump(), **(e.model_extra or {})} for name, e in self.guardrails.items()}
        for name, values in overrides.items():
            merged.setdefault(name, {}).update(values)
        return load_policy_dict({"guardrails": merged})


def load_policy_dict(raw: Mapping[str, Any]) -> GuardrailPolicy:
    try:
        policy = GuardrailPolicy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"invalid guardrail policy: {exc}") from None
    unknown = sorted(set(policy.guardrails) - set(REGISTRY))
    if unknown:
        raise PolicyError(f"unknown guardrail(s) in policy: {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    build_guardrails(policy)  # validates every guardrail's parameters now, not at first request
    return policy


def load_policy(path: Path | None = None) -> GuardrailPolicy:
    path = path or DEFAULT_POLICY_PATH
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PolicyError(f"guardrail policy file not found: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"cannot read guardrail policy {path}: {exc}") from None
    return load_policy_dict(raw)


def build_guardrails(policy: GuardrailPolicy) -> dict[Stage, tuple[Guardrail, ...]]:
    """Instantiate the enabled guardrails, grouped by stage, in registry order."""
    stages: dict[Stage, list[Guardrail]] = {"input": [], "retrieval": [], "output": []}
    for name, cls in REGISTRY.items():
        if not policy.is_enabled(name):
            continue
        try:
            guardrail: Guardrail = TypeAdapter(cls).validate_python(policy.params(name))
        except ValidationError as exc:
            raise PolicyError(f"invalid parameters for guardrail {name!r}: {exc}") from None
        stages[guardrail.stage].append(guardrail)
    return {stage: tuple(items) for stage, items in stages.items()}
