"""What the user is told when the model's answer is not what they get: why the answer is quoted from the
documents (no_model_answer + QUOTED), or that nothing could be answered (CANNOT_ANSWER), in the question's
language ("zh" or "en"). Chains layer, pure text.
"""

from __future__ import annotations

from chains.error_text import short_error
from chains.errors import BudgetExceeded, Cancelled, OutputRejected, ReasksExhausted

CANNOT_ANSWER = {
    "en": "I can't give a reliable answer to this right now: the model did not produce a usable answer "
    "and no passage of your documents matches the question closely enough. See the trace for what was tried.",
    "zh": "目前无法给出可靠的回答：模型没有产生可用的答案，文档中也没有与问题足够匹配的段落。请查看追踪记录了解尝试过的步骤。",
}


LEFT_OUT = {  # added when context_injection left passages out: they may have held the answer
    "en": " {n} retrieved passage(s) were left out because they contain text addressed to the AI (context_injection "
    "in the trace); if they hold the answer, check those documents.",
    "zh": "另有 {n} 个检索到的段落因包含针对 AI 的指令而被排除（见追踪记录中的 context_injection）；如果答案在其中，请检查这些文档。",
}


QUOTED = {  # how the extractive fallback's message ends, after no_model_answer's reason
    "en": "; these are the passages of your documents that best match the question, quoted verbatim.",
    "zh": "；以下是文档中与问题最匹配的段落，逐字引用。",
}


def no_model_answer(why: BaseException, lang: str = "en") -> str:
    """Why the answer is quoted from the documents, in the user's terms and the question's language ("zh" or
    "en"): a model answered and each answer was rejected, or none answered in time, or none could be reached (a
    path or server to fix: its own words, in one short line: an error page's markup and the rest of a long body
    stay in the trace)."""
    zh = lang == "zh"
    if isinstance(why, (OutputRejected, ReasksExhausted)):
        return "模型的回答无法使用" if zh else "The model's answer could not be used"
    if isinstance(why, Cancelled):
        return "在模型回答之前，问题已被撤回" if zh else "The question was withdrawn before a model answered"
    if isinstance(why, BudgetExceeded):
        if zh:
            return f"在问题的时间预算（{why.budget_s:.0f} 秒）内没有模型给出可用的回答"
        return f"No model gave a usable answer within the question's latency budget ({why.budget_s:.0f} s)"
    if zh:
        return f"没有模型给出可用的回答（第一个失败：{short_error(why)}）"
    return f"No model gave a usable answer (the first one failed: {short_error(why)})"
