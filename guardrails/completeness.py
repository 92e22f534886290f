"""Input guardrail: asks a clarifying question when the question cannot be answered as written.

Pure policy layer, input stage, no model call; lexical, zh + en. Catches references to nothing ("Is this plan
reasonable?"), requests without material ("Fix this."), choices without candidates ("哪个更好？"), no content ("help").
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.completeness_gaps import (
    Gap,
    candidates_given,
    find_gaps,
    has_anchor,
    split_units,
)
from guardrails.completeness_lexicon import COMPARE_RES
from guardrails.text import is_cjk, lang_of, normalize


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class CompletenessGuardrail:
    name: ClassVar[str] = "completeness"
    stage: ClassVar[Stage] = "input"

    use_history: bool = Field(
        default=True,
        description="An earlier turn that names something resolves references, objects and comparisons.",
    )
    min_content_words: int = Field(
        default=1,
        ge=1,
        description="Fewest content words (names, topic words; not fillers like 'help' or '怎么办') a question needs.",
    )
    max_questions: int = Field(default=3, ge=1, le=3, description="Most clarifying questions to suggest.")
    # Fails open: this is a usability check, not a safety one. If it breaks, the question goes on to
    # retrieval (the relevance and grounding guardrails still apply) and the errored verdict is recorded.
    fail_mode: FailMode = "open"

    def check(self, ctx: GuardContext) -> Verdict:
        text = normalize(ctx.question).replace("’", "'")
        lang = lang_of(ctx.question)
        units = split_units(text)
        history_resolves = self.use_history and any(has_anchor(split_units(normalize(turn.content))) for turn in ctx.history)
        gaps: list[Gap] = []
        if not history_resolves:
            gaps = find_gaps(units, text)
            if any(p.search(text) for p in COMPARE_RES) and not candidates_given(units):
                phrase = next(m.group(0) for p in COMPARE_RES if (m := p.search(text)))
                gaps.append(Gap("candidates", phrase))
        content_words = sum(1 for u in units if u.kind in ("anchor", "category"))
        has_letters = any(c.isalnum() or is_cjk(c) for c in text)
        if not gaps and content_words < self.min_content_words and (not history_resolves or not has_letters):
            gaps.append(Gap("content", ctx.question.strip()))

        missing = list(dict.fromkeys(g.missing for g in gaps))
        if not missing:
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=False,
                reason="question names what it is about" + (" (earlier turns give the context)" if history_resolves else ""),
                score=0.0,
                details={"missing": [], "questions": []},
            )
        questions = list(dict.fromkeys(_question(g, lang) for g in gaps))
        if "candidates" in missing:
            questions.append(_CRITERIA_QUESTION[lang])
        questions = list(dict.fromkeys(questions))[: self.max_questions]
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=True,
            action="clarify",
            reason="the question is missing " + ", ".join(_REASON[m] for m in missing),
            evidence=tuple(dict.fromkeys(g.phrase for g in gaps if g.phrase)),
            score=float(len(missing)),
            details={"missing": missing, "questions": questions},
        )


_REASON: dict[str, str] = {
    "referent": "what a reference like 'this' or 'it' points to",
    "object": "the material it asks to work on",
    "candidates": "the options to compare",
    "content": "what it is about",
}
_CRITERIA_QUESTION = {
    "en": "Better in what way: speed, quality, memory use or something else?",
    "zh": "你更看重哪方面：速度、效果、内存占用还是别的？",
}


_VERB_DISPLAY_ZH = {"看看": "检查", "看一下": "检查", "看下": "检查", "改一下": "修改", "改改": "修改"}


def _question(gap: Gap, lang: str) -> str:
    if lang == "zh":
        if gap.missing == "referent":
            return f"“{gap.phrase}”具体指什么？请写出它的名称，或把相关内容贴出来。"
        if gap.missing == "object":
            noun = gap.noun or "内容"
            verb = _VERB_DISPLAY_ZH.get(gap.verb, gap.verb) if is_cjk(gap.verb[:1] or "a") else "处理"
            return f"请把需要{verb}的{noun}直接贴在问题里。"
        if gap.missing == "candidates":
            return "你想比较哪几个选项？请写出候选项，例如“A 还是 B”。"
        return "你想了解什么？请把问题写完整，说明具体对象。"
    if gap.missing == "referent":
        return f'What does "{gap.phrase}" refer to? Please name it or paste it into the question.'
    if gap.missing == "object":
        noun = gap.noun or "text or code"
        verb = gap.verb if gap.verb.isascii() and gap.verb else "work on"
        return f"Please paste the {noun} you want me to {verb} into the question."
    if gap.missing == "candidates":
        return 'Which options do you want to compare? Please name them, e.g. "A or B".'
    return "What would you like to know? Please ask a complete question that names what it is about."
