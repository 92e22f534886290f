"""Reading a model reply before the parse ladder: reasoning kept apart from the answer (thinking models), and
whether the reply was cut off (done_reason "length", eval_count at num_predict, a full context window).

Pure functions over the reply text and Ollama's response metadata; the generation ladder traces what they find.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

_OPEN, _CLOSE = "<think>", "</think>"


_ANSWER_STARTS = (_OPEN, "{", "[", "`")  # a reply opening like this is not inside a reasoning block


def split_thinking(raw: str) -> tuple[str, str]:
    """(reasoning, content). Reasoning models on an Ollama that does not separate thinking (or with `think`
    unset) start the content with <think>…</think>; an unclosed <think> means the reply was all reasoning. A chat
    template that opens the block itself (deepseek-r1's ends its prompt with "<think>\\n") makes the reply start
    inside it: its first </think>, with no <think> before, closes the reasoning (else a JSON draft in the reasoning
    was parsed as the answer)."""
    text = raw.lstrip()
    thoughts: list[str] = []
    if not text.startswith(_ANSWER_STARTS):
        end = text.find(_CLOSE)
        if end != -1 and _OPEN not in text[:end]:
            thoughts.append(text[:end])
            text = text[end + len(_CLOSE) :].lstrip()
    while text.startswith(_OPEN):
        end = text.find(_CLOSE)
        if end == -1:
            thoughts.append(text[len(_OPEN) :])
            text = ""
            break
        thoughts.append(text[len(_OPEN) : end])
        text = text[end + len(_CLOSE) :].lstrip()
    return "\n".join(t.strip() for t in thoughts if t.strip()), text


CutKind = Literal["num_predict", "context"]


@dataclass(frozen=True)
class Truncation:
    kind: CutKind
    reason: str
    window: int | None = None  # context: the tokens the model really had (prompt + reply)


def _count(meta: Mapping[str, Any], key: str) -> int | None:
    value = meta.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def truncation(meta: Mapping[str, Any], *, num_predict: int | None, num_ctx: int | None) -> Truncation | None:
    """Why the reply stopped early, or None. done_reason "length" with fewer tokens than num_predict means the
    context window filled up (a model whose real context is smaller than num_ctx); at num_predict it means the
    answer was too long. Some Ollama versions say "stop" at num_predict: the token count decides then."""
    done = meta.get("done_reason")
    produced = _count(meta, "eval_count")
    prompt = _count(meta, "prompt_eval_count")
    at_limit = num_predict is not None and produced is not None and produced >= num_predict
    if done != "length" and not at_limit:
        return None
    if at_limit or produced is None or num_predict is None:
        return Truncation(
            kind="num_predict",
            reason=f"the reply was cut off at num_predict={num_predict} tokens (done_reason={done}, eval_count={produced})",
        )
    window = (prompt or 0) + produced
    return Truncation(
        kind="context",
        reason=f"the reply was cut off after {produced} tokens, below num_predict={num_predict}: prompt ({prompt}) and "
        f"reply filled the model's context ({window} tokens, num_ctx={num_ctx})",
        window=window,
    )
