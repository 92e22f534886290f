"""Input guardrail: asks a clarifying question when the question cannot be answered as written.

Pure policy layer, input stage, no model call; zh + en. Lexically it catches references to nothing ("Is this
plan reasonable?"), requests without material ("Fix this."), choices without candidates ("哪个更好？"), no content
("help"). The app's semantic score `vagueness_semantic` (an embedding classifier over labelled vague and clear
requests, nearest exemplars as evidence) adds underspecified intent that no word list sees ("Recommend a model.").
With `judge` on (off by default), the answering model's own judgement `vagueness_judge` is one more such signal:
an extra model call the app makes only on an Ollama model, never on the embedded one.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.completeness_gaps import Gap, content_words, find_gaps, has_anchor
from guardrails.completeness_lexicon import COMPARE_RES
from guardrails.completeness_options import candidates_given, unnamed_options
from guardrails.completeness_units import split_units
from guardrails.semantic import evidence_of, fallback_note, semantic_details, usable_score
from guardrails.text import is_cjk, lang_of, normalize

SIGNAL = "vagueness_semantic"
JUDGE = "vagueness_judge"


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class CompletenessGuardrail:
    name: ClassVar[str] = "completeness"
    stage: ClassVar[Stage] = "input"
    reads: ClassVar[tuple[str, ...]] = (SIGNAL, JUDGE)  # the signals it decides on (the policy lab checks they were kept)

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
    semantic_threshold: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Underspecification probability of the semantic signal at or above which a question that names "
        "its subject is still clarified (1.0: never; the lexical checks alone).",
    )
    judge: bool = Field(
        default=False,
        description="Also clarify a question the answering Ollama model judges not answerable as written (signal "
        "vagueness_judge: one extra model call per question, never made on the embedded model).",
    )
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
            elif unnamed := unnamed_options(units):  # "the first or the second", "甲方案和乙方案"
                gaps.append(Gap("candidates", unnamed))
        has_letters = any(c.isalnum() or is_cjk(c) for c in text)
        if not gaps and content_words(units) < self.min_content_words and (not history_resolves or not has_letters):
            gaps.append(Gap("content", ctx.question.strip()))

        signal = ctx.signals.get(SIGNAL)
        score = usable_score(ctx, SIGNAL)
        # 1.0 is the documented off switch ("never"), though the app's rounded score can reach exactly 1.0.
        semantic_on = self.semantic_threshold < 1.0
        if not gaps and not history_resolves and semantic_on and score is not None and score >= self.semantic_threshold:
            gaps.append(Gap("intent", ctx.question.strip()))
        judged = self._judged(ctx)
        if not gaps and judged:  # the model saw the history too: it already weighed what earlier turns name
            gaps.append(Gap("judged", ctx.question.strip()))
        semantic = semantic_details(signal, self.semantic_threshold)
        extra = evidence_of(ctx, SIGNAL) + (evidence_of(ctx, JUDGE) if self.judge else ())
        note = fallback_note(signal, "lexical checks only") + self._judge_note(ctx)
        missing = list(dict.fromkeys(g.missing for g in gaps))
        if not missing:
            reason = "question names what it is about" + (" (earlier turns give the context)" if history_resolves else "")
            if score is not None and not semantic_on:
                reason += f"; underspecification probability {score:.2f} not used (semantic_threshold 1.0: off)"
            elif score is not None and score >= self.semantic_threshold:  # only when the history resolves it
                reason += (
                    f"; underspecification probability {score:.2f} >= {self.semantic_threshold:.2f}, resolved by the history"
                )
            elif score is not None:
                reason += f"; underspecification probability {score:.2f} < {self.semantic_threshold:.2f}"
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=False,
                reason=reason + note,
                evidence=extra,
                score=score,
                threshold=self.semantic_threshold,
                details={"missing": [], "questions": [], "semantic": semantic, **self._judge_details(ctx)},
            )
        questions = list(dict.fromkeys(_question(g, lang) for g in gaps))
        if "candidates" in missing:
            questions.append(_CRITERIA_QUESTION[lang])
        questions = list(dict.fromkeys(questions))[: self.max_questions]
        reason = "the question is missing " + ", ".join(_REASON[m] for m in missing)
        if "intent" in missing and score is not None:
            reason += f" (underspecification probability {score:.2f} >= {self.semantic_threshold:.2f})"
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=True,
            action="clarify",
            reason=reason + note,
            evidence=tuple(dict.fromkeys(g.phrase for g in gaps if g.phrase and g.missing not in _WHOLE_QUESTION)) + extra,
            score=score,
            threshold=self.semantic_threshold,
            details={"missing": missing, "questions": questions, "semantic": semantic, **self._judge_details(ctx)},
        )

    def _judged(self, ctx: GuardContext) -> bool:
        """The model judged the question not answerable as written (judge on, signal usable)."""
        score = usable_score(ctx, JUDGE) if self.judge else None
        return score is not None and score >= 0.5

    def _judge_note(self, ctx: GuardContext) -> str:
        return fallback_note(ctx.signals.get(JUDGE), "not judged by the model", what="model judgement") if self.judge else ""

    def _judge_details(self, ctx: GuardContext) -> dict[str, object]:
        return {"judge": semantic_details(ctx.signals.get(JUDGE), 0.5)} if self.judge else {}


_WHOLE_QUESTION = ("intent", "judged")  # gaps about the whole question: their phrase is the question, not evidence
_REASON: dict[str, str] = {
    "intent": "what exactly it asks for (it reads like requests that need more detail to answer well)",
    "judged": "context the answering model judged it needs (it was asked whether the question is answerable as written)",
    "referent": "what a reference like 'this' or 'it' points to",
    "object": "the material it asks to work on",
    "candidates": "the options to compare",
    "content": "what it is about",
}
_CRITERIA_QUESTION = {
    "en": "Better in what way: speed, quality, memory use or something else?",
    "zh": "你更看重哪方面：速度、效果、内存占用还是别的？",
}


_LOOK_ZH = ("看看", "看一下", "看下", "瞅瞅", "瞅一眼", "瞅一下", "瞧瞧", "瞧一下", "瞧一眼", "看一眼", "过目", "把把关")
_VERB_DISPLAY_ZH = {**dict.fromkeys(_LOOK_ZH, "检查"), "改一下": "修改", "改改": "修改", "翻成": "翻译", "翻译成": "翻译"}


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
        if gap.missing in _WHOLE_QUESTION:
            return "能再具体一些吗？请说明你的目的、使用场景或限制条件（例如硬件、模型、版本）。"
        return "你想了解什么？请把问题写完整，说明具体对象。"
    if gap.missing == "referent":
        return f'What does "{gap.phrase}" refer to? Please name it or paste it into the question.'
    if gap.missing == "object":
        noun = gap.noun or "text or code"
        verb = gap.verb if gap.verb.isascii() and gap.verb else "work on"
        return f"Please paste the {noun} you want me to {verb} into the question."
    if gap.missing == "candidates":
        return 'Which options do you want to compare? Please name them, e.g. "A or B".'
    if gap.missing in _WHOLE_QUESTION:
        return "Could you be more specific: what is it for, and what are your constraints (hardware, model, version)?"
    return "What would you like to know? Please ask a complete question that names what it is about."
