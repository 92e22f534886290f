"""Context budget: make the prompt fit num_ctx ourselves, because Ollama silently truncates the prompt's
beginning (our instructions) when it does not fit. What was cut is recorded, never silent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chains.prompts import fenced_text
from guardrails import Chunk
from guardrails.text import count_cjk, is_cjk

# Deliberately pessimistic, per kind of character, checked against the embedded SmolLM2's byte-level BPE (an
# English-centric vocabulary: the worst tokenizer the app runs on) on data/docs: up to ~2 tokens per CJK character;
# one per ASCII digit (digits are split one by one, a space before one stands alone); ASCII punctuation often
# stands alone (~1/2); other non-ASCII text
# (kana, hangul, emoji, full-width forms, "，。") at one token per UTF-8 byte, the most a byte-level tokenizer
# spends; ASCII letters and spaces ~1 per 3. Over-estimating only costs context, under-estimating loses the
# instructions.
_CJK_TOKENS = 2.0
_DIGIT_TOKENS = 1.0
_PUNCT_TOKENS = 0.5
_CHARS_PER_TOKEN = 3.0
_SAFETY_TOKENS = 64
_MIN_USEFUL_TOKENS = 60
_DIGIT_RE = re.compile(r"[0-9]")
_PUNCT_RE = re.compile(r"[!-/:-@\[-`{-~]")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_SPACE_BEFORE_DIGIT_RE = re.compile(r"\s(?=[0-9])")  # " 24576": the space is a token of its own
TRUNCATION_MARK = " …"  # ends the text of a chunk the budget truncated (chains.extractive quotes no cut sentence)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def estimate_tokens(text: str) -> int:
    cjk = count_cjk(text)
    digits = len(_DIGIT_RE.findall(text))
    punct = len(_PUNCT_RE.findall(text))
    plain = len(text) - len(_NON_ASCII_RE.findall(text)) - digits - punct
    other_bytes = max(_utf8_len(text) - (plain + digits + punct) - 3 * cjk, 0)
    spaced = len(_SPACE_BEFORE_DIGIT_RE.findall(text))
    tokens = cjk * _CJK_TOKENS + other_bytes + digits * _DIGIT_TOKENS + punct * _PUNCT_TOKENS + plain / _CHARS_PER_TOKEN
    tokens += spaced * (1 - 1 / _CHARS_PER_TOKEN)
    return int(tokens) + 1


def _char_tokens(ch: str) -> float:
    """One character's share of estimate_tokens."""
    if is_cjk(ch):
        return _CJK_TOKENS
    if not ch.isascii():
        return float(_utf8_len(ch))
    if "0" <= ch <= "9":
        return _DIGIT_TOKENS
    return _PUNCT_TOKENS if _PUNCT_RE.match(ch) else 1 / _CHARS_PER_TOKEN


@dataclass(frozen=True)
class Fitted:
    chunks: tuple[Chunk, ...]
    budget_tokens: int
    used_tokens: int
    cut: tuple[str, ...]  # human-readable notes: "S3 dropped", "S2 truncated to 120 tokens"


def _truncate(text: str, tokens: int) -> str:
    out, used = [], 0.0
    for ch in text:
        used += _char_tokens(ch)
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
        cost = estimate_tokens(fenced_text(chunk.text)) + 12  # label and source line
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
