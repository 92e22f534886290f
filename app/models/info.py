"""What a model and its server can do, read once from Ollama (/api/version, /api/show) so the ladder can adapt:
JSON-schema `format` (Ollama >= 0.5) or plain "json", thinking that can be switched off or only captured,
the model's real context length. App layer, models/: composition-root code that looks, never generates.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

SCHEMA_FORMAT_SINCE = (0, 5, 0)  # structured outputs: `format` takes a JSON schema (Ollama 0.5, Dec 2024)
# Thinking models that cannot turn thinking off: Ollama ignores think=false for them and wants a level.
_ALWAYS_THINKING = ("gpt-oss", "gptoss")


class ModelInfo(BaseModel):
    """What /api/show said about one model; `error` when it could not be read (then the ladder assumes nothing)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    context_length: int | None = None
    capabilities: tuple[str, ...] = ()
    family: str = ""
    error: str | None = None

    @property
    def thinks(self) -> bool:
        return "thinking" in self.capabilities


def parse_version(text: str | None) -> tuple[int, int, int] | None:
    """(major, minor, patch) of an Ollama version string ("0.4.7", "0.5.0-rc1", "v0.12.3"); None if unreadable."""
    found = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", text or "")
    if found is None:
        return None
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch or 0)


def supports_schema_format(version: str | None) -> bool:
    """Whether this Ollama takes a JSON schema as `format`. An unknown version is assumed recent: the probe's
    version is missing only when /api/version failed, and then the request fails loudly rather than silently."""
    parsed = parse_version(version)
    return parsed is None or parsed == (0, 0, 0) or parsed >= SCHEMA_FORMAT_SINCE


def thinking_setting(info: ModelInfo) -> bool | str | None:
    """ChatOllama's `reasoning` for structured calls: False (think=false) for a thinking model that can switch it
    off; "low" for one that cannot (its reasoning then arrives apart and is traced, never parsed); None (do not
    send `think` at all) for other models, which some Ollama versions refuse it for."""
    name = f"{info.family} {info.model}".lower()
    if any(tag in name for tag in _ALWAYS_THINKING):
        return "low"
    return False if info.thinks else None


def from_show(model: str, show: Any) -> ModelInfo:
    """ModelInfo from an ollama ShowResponse (or its dict)."""
    data = show.model_dump() if hasattr(show, "model_dump") else dict(show)
    info = data.get("modelinfo") or data.get("model_info") or {}
    arch = str(info.get("general.architecture") or "")
    length = info.get(f"{arch}.context_length") if arch else None
    details = data.get("details") or {}
    return ModelInfo(
        model=model,
        context_length=int(length) if isinstance(length, int | float) and length > 0 else None,
        capabilities=tuple(str(c) for c in data.get("capabilities") or ()),
        family=str(details.get("family") or arch or ""),
    )


class RungSetup(BaseModel):
    """How to call one model: ChatOllama's `reasoning`, the `format` kind, a smaller context, and why (traced)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reasoning: bool | str | None = None
    schema_format: bool = True
    context_window: int | None = None
    notes: tuple[str, ...] = ()


def rung_setup(info: ModelInfo, *, version: str | None, num_ctx: int) -> RungSetup:
    """The adaptations an Ollama model needs, from what /api/version and /api/show said."""
    notes: list[str] = []
    reasoning = thinking_setting(info)
    if reasoning is False:
        notes.append(f"{info.model} is a thinking model: thinking switched off for structured answers (think=false)")
    elif isinstance(reasoning, str):
        notes.append(
            f'{info.model} cannot switch thinking off: think="{reasoning}"; its reasoning is kept apart in the trace '
            "and only the answer is parsed"
        )
    schema = supports_schema_format(version)
    if not schema:
        notes.append(f'Ollama {version} predates JSON-schema format (0.5): format="json" and the parse ladder')
    window = info.context_length if info.context_length and info.context_length < num_ctx else None
    if window:
        notes.append(f"{info.model}'s context is {window} tokens, smaller than num_ctx={num_ctx}: prompts are fitted to it")
    if info.error:
        notes.append(f"could not read {info.model}'s details (/api/show: {info.error}); calling it as a plain model")
    return RungSetup(reasoning=reasoning, schema_format=schema, context_window=window, notes=tuple(notes))
