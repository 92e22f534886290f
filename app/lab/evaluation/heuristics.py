"""Text heuristics for scoring free-form model output: did it ask for the missing context, did it decline,
does it contain the gold answer, is it one JSON object matching the answer schema.

App layer (evaluation lab). These are deliberately simple, documented in docs/EVALUATION.md, and applied
identically to the raw and the guarded column, so their bias cancels in the comparison.
"""

from __future__ import annotations

import json
import re

from pydantic import ValidationError

from chains.schemas import ModelAnswer
from guardrails import describe_validation

# "Says information is missing / asks for it". Lower-cased substring match.
MISSING_PHRASES = (
    "more context",
    "more information",
    "more detail",
    "more specific",
    "could you provide",
    "can you provide",
    "please provide",
    "please share",
    "please specify",
    "please clarify",
    "could you clarify",
    "can you clarify",
    "could you share",
    "can you share",
    "which plan",
    "what plan",
    "not provided",
    "didn't provide",
    "did not provide",
    "haven't provided",
    "have not provided",
    "not specified",
    "without more",
    "without knowing",
    "need to know",
    "need more",
    "unclear",
    "not clear what",
    "you didn't mention",
    "you did not mention",
    "请提供",
    "请问",
    "能否提供",
    "可以提供",
    "请说明",
    "请具体",
    "具体是指",
    "哪个方案",
    "什么方案",
    "更多信息",
    "更多细节",
    "更多上下文",
    "没有提供",
    "未提供",
    "缺少",
    "不清楚",
    "不明确",
    "需要知道",
    "需要更多",
)
# "Declines: the sources do not have it". Generous on purpose (favours the raw column).
DECLINE_PHRASES = (
    "not in the",
    "not found",
    "no information",
    "not mentioned",
    "do not contain",
    "does not contain",
    "don't contain",
    "doesn't contain",
    "not contain",
    "cannot answer",
    "can't answer",
    "unable to",
    "don't know",
    "do not know",
    "no relevant",
    "not covered",
    "not available",
    "cannot determine",
    "can't determine",
    "cannot be determined",
    "没有提到",
    "没有提及",
    "没有找到",
    "没有相关",
    "没有关于",
    "未提及",
    "未找到",
    "找不到",
    "无法回答",
    "不知道",
    "不包含",
    "未包含",
    "无相关",
    "无法确定",
    "无法判断",
)
_QUESTION_MARK = re.compile(r"[?？]")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def asks_question(text: str, *, echo: str = "") -> bool:
    """A question mark in the reply, once any verbatim echo of the user's question is removed."""
    body = text.replace(echo, " ") if echo else text
    return bool(_QUESTION_MARK.search(body))


def says_missing(text: str) -> bool:
    low = _norm(text)
    return any(p in low for p in MISSING_PHRASES)


def declines(text: str | None) -> bool:
    low = _norm(text or "")
    return bool(low) and any(p in low for p in DECLINE_PHRASES)


def acknowledges_gap(text: str, *, question: str = "") -> bool:
    """The reply asks for, or admits the lack of, the context the question left out."""
    return asks_question(text, echo=question) or says_missing(text) or declines(text)


def over_inferred(text: str, *, question: str = "") -> bool:
    """Over-inference: a non-empty reply that answers as if the missing context were known, i.e. it neither
    asks a question nor says that information is missing (nor declines)."""
    return bool(text.strip()) and not acknowledges_gap(text, question=question)


def keywords_match(text: str | None, keywords: tuple[str, ...]) -> bool | None:
    """All keywords, case-insensitively (data/eval/README.md); None when there are none."""
    if not keywords:
        return None
    low = (text or "").lower()
    return all(k.lower() in low for k in keywords)


def gold_match(text: str | None, keywords: tuple[str, ...], golds: tuple[str, ...]) -> bool | None:
    """Keywords (all) and gold spans (any, whitespace-insensitive); None when the item has no gold."""
    if not keywords and not golds:
        return None
    ok = keywords_match(text, keywords) is not False
    if golds:
        squashed = "".join((text or "").lower().split())
        ok = ok and any("".join(g.lower().split()) in squashed for g in golds)
    return ok


def schema_check(text: str) -> tuple[ModelAnswer | None, str | None]:
    """The whole reply must be one JSON object that validates as ModelAnswer: no fences, no prose, no repair.
    `strict=False` only admits raw control characters inside strings (llama.cpp grammars emit them)."""
    try:
        data = json.loads(text.strip(), strict=False)
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at char {exc.pos}"
    if not isinstance(data, dict):
        return None, f"JSON {type(data).__name__}, not an object"
    try:
        return ModelAnswer.model_validate(data), None
    except ValidationError as exc:
        return None, "schema: " + describe_validation(exc)
