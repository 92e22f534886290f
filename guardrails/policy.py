"""Guardrail policy: which guardrails run, in what order, with which thresholds.

Read from a validated TOML file (default: guardrails/default_policy.toml). The registry is an immutable
name -> class mapping: adding a guardrail is a module, a registry line and a test file.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from guardrails.answer_injection import AnswerInjectionGuardrail
from guardrails.answer_relevance import AnswerRelevanceGuardrail
from guardrails.base import Guardrail, Stage, removes_passages
from guardrails.citations import CitationGuardrail
from guardrails.completeness import CompletenessGuardrail
from guardrails.context_injection import ContextInjectionGuardrail
from guardrails.degenerate_output import DegenerateOutputGuardrail
from guardrails.grounding import GroundingGuardrail
from guardrails.input_size import InputSizeGuardrail
from guardrails.prompt_injection import PromptInjectionGuardrail
from guardrails.relevance import RelevanceGuardrail
from guardrails.toml_file import TomlFileError, read_toml_file

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
        "answer_injection": AnswerInjectionGuardrail,
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


def parameters(guardrail: str) -> dict[str, Any]:
    """A registered guardrail's policy parameters, name -> default (KeyError for an unknown guardrail). A parameter
    declared with pydantic's Field(default=...) has that FieldInfo as its dataclass default: its default is read
    from it (it was returned as is, and a lab sweep from a policy that left the parameter unset crashed on it)."""
    return {f.name: _default(f.default) for f in dataclasses.fields(REGISTRY[guardrail]) if f.init}


def _default(value: Any) -> Any:
    return value.get_default(call_default_factory=True) if isinstance(value, FieldInfo) else value


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _problem(err: Mapping[str, Any], guardrail: str | None) -> str:
    """One pydantic error in the policy file's own terms: the TOML key, the value given, what is wrong; no
    pydantic jargon or documentation URLs (they reach the CLI, the Streamlit policy editor and the lab)."""
    loc = [str(part) for part in err["loc"]]
    if guardrail is None and len(loc) == 1 and err["type"] == "extra_forbidden":  # a table beside [guardrails]
        if loc[0] in REGISTRY:
            return f"[{loc[0]}] is not a policy table: a guardrail's settings go under [guardrails.{loc[0]}]"
        return f"[{loc[0]}] is not a policy table: the file holds [guardrails.NAME] tables, NAME one of {', '.join(REGISTRY)}"
    key = ".".join(loc)
    if err["type"] in ("model_type", "dict_type"):
        return f"{key} = {err['input']!r}: must be a table ([{key}] with its settings below it)"
    if guardrail is not None and err["type"] == "unexpected_keyword_argument":
        names = list(parameters(guardrail))
        return f"{key} is not a parameter of {guardrail}{_did_you_mean(loc[-1], names)}; its parameters: {', '.join(names)}"
    return f"{key} = {err['input']!r}: {err['msg']}"


def _problems(exc: ValidationError, guardrail: str | None = None) -> str:
    return "; ".join(_problem(err, guardrail) for err in exc.errors(include_url=False))


def load_policy_dict(raw: Mapping[str, Any]) -> GuardrailPolicy:
    try:
        policy = GuardrailPolicy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"invalid guardrail policy: {_problems(exc)}") from None
    unknown = sorted(set(policy.guardrails) - set(REGISTRY))
    if unknown:
        named = ", ".join(f"{name}{_did_you_mean(name, list(REGISTRY))}" for name in unknown)
        raise PolicyError(f"unknown guardrail(s) in policy: {named}; known: {', '.join(REGISTRY)}")
    # Every guardrail the policy names, disabled ones too: a typo or an out-of-range value under enabled = false
    # went unnoticed until someone enabled it, and then stopped the app.
    for name in policy.guardrails:
        _built(name, policy)
    return policy


def load_policy(path: Path | None = None) -> GuardrailPolicy:
    path = path or DEFAULT_POLICY_PATH
    try:
        raw = read_toml_file(path)  # a folder, a pipe, a device, a file over its bound, nesting too deep: refused
    except TomlFileError as exc:
        if exc.kind == "missing":
            raise PolicyError(f"guardrail policy file not found: {path}") from None
        raise PolicyError(f"cannot read guardrail policy {path}: {exc}") from None
    try:
        return load_policy_dict(raw)
    except PolicyError as exc:
        raise PolicyError(f"{exc} (in {path})") from None


def build_guardrails(policy: GuardrailPolicy) -> dict[Stage, tuple[Guardrail, ...]]:
    """Instantiate the enabled guardrails, grouped by stage, in the order they run: registry order, except that
    the retrieval checks that leave passages out (context_injection) come first, as the chain runs them: the
    other retrieval checks judge only the passages they kept."""
    stages: dict[Stage, list[Guardrail]] = {"input": [], "retrieval": [], "output": []}
    for name in REGISTRY:
        if policy.is_enabled(name):
            guardrail = _built(name, policy)
            stages[guardrail.stage].append(guardrail)
    stages["retrieval"].sort(key=lambda g: not removes_passages(g))  # stable: registry order within each part
    return {stage: tuple(items) for stage, items in stages.items()}


def _built(name: str, policy: GuardrailPolicy) -> Guardrail:
    try:
        built: Guardrail = TypeAdapter(REGISTRY[name]).validate_python(policy.params(name))
    except ValidationError as exc:
        off = "" if policy.is_enabled(name) else " (it has enabled = false; its values are checked all the same)"
        raise PolicyError(f"invalid parameters for guardrail {name!r}: {_problems(exc, name)}{off}") from None
    return built
