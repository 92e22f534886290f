"""Context budget: make the prompt fit num_ctx ourselves, because Ollama silently truncates the prompt's
beginning (our instructions) when it does not fit. What was cut is recorded, never silent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from guardrails import Chunk
from guardrails.text import count_cjk, is_cjk

# Deliberately pessimistic: small multilingual tokenizers spend up to ~2 tokens per CJK character and
# ~1 per 3 ASCII characters; over-estimating only costs context, under-estimating loses the instructions.
_CJK_TOKENS = 2.0
_CHARS_PER_TOKEN = 3.0
_SAFETY_TOKENS = 64
_MIN_USEFUL_TOKENS = 60
TRUNCATION_MARK = " …"  # ends the text of a chunk the budget truncated (chains.extractive quotes no cut sentence)


def estimate_tokens(text: str) -> int:
    cjk = count_cjk(text)
    return int(cjk * _CJK_TOKENS + (len(text) - cjk) / _CHARS_PER_TOKEN) + 1


@dataclass(frozen=True)
class Fitted:
    chunks: tuple[Chunk, ...]
    budget_tokens: int
    used_tokens: int
    cut: tuple[str, ...]  # human-readable notes: "S3 dropped", "S2 truncated to 120 tokens"


def _truncate(text: str, tokens: int) -> str:
    out, used = [], 0.0
    for ch in text:
        used += _CJK_TOKENS if is_cjk(ch) else 1 / _CHARS_PER_TOKEN
        if used > tokens:
            break
        out.append(ch)
    return "".join(out).rstrip() + TRUNCATION_MARK


def fit_context(chunks: Sequence[Chunk], *, num_ctx: int, num_predict: int, fixed_text: str) -> Fitted:
    """Keep chunks in rank order while they fit; truncate the first one that does not (if enough room is
    left to be useful), drop the rest. `fixed_text` is everything else in the prompt (system, question,
    history)."""
    budget = num_ctx - num_predict - estimate_tokens(fixed_text) - _SAFETY_TOKENS
    kept: list[Chunk] = []
    cut: list[str] = []
    used = 0
    for chunk in chunks:
        cost = estimate_tokens(chunk.text) + 12  # label and source line
        room = budget - used
        if cost <= room:
            kept.append(chunk)
            used += cost
        elif room >= _MIN_USEFUL_TOKENS and not cut:
            kept.append(chunk.model_copy(update={"text": _truncate(chunk.text, room - 12)}))
            used = budget
            cut.append(f"{chunk.label} truncated to ~{room - 12} tokens")
        else:
            cut.append(f"{chunk.label} dropped ({cost} tokens did not fit)")
    return Fitted(chunks=tuple(kept), budget_tokens=max(budget, 0), used_tokens=used, cut=tuple(cut))
