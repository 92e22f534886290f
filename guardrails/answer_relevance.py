"""Output guardrail: the answer must answer. A reply that only restates the question, or only repeats a
section heading of the passage, passes grounding (every word of it is in the question or the passage) and
says nothing; it is re-asked.

Pure policy layer, output stage. Two explainable tests:
- question echo: the answer repeats most of the question's content and adds no content of its own (English
  words, Chinese characters, numbers, identifiers), talk about the question ("you are asking", "关于…的问题"),
  generic and hedging words ("it depends on the case", "取决于具体情况", "存放位置") and another form of a
  question word ("faster" for "fast") not counting as content; picking one of the options the question offers
  ("Q4 is faster." for "Which is faster, Q4 or Q8?", guardrails/answer_options.py) is an answer;
- heading only: the whole answer is a heading of the cited passage (a markdown heading, or the heading path
  the chunker puts on a chunk's first line), unless the passage shows it as code (`ollama stop` answering
  "which command unloads a model?" is a heading and a correct answer).
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from guardrails.answer_options import picks_one
from guardrails.base import FailMode, GuardContext, Stage, Verdict
from guardrails.headings import bare, heading_forms
from guardrails.text import STOPCHARS_ZH, STOPWORDS_EN, cjk_chars, normalize, stem
from guardrails.text_numbers import numbers
from guardrails.text_quotes import squash

# Words that talk about the question instead of answering it; they add no content to an echo. An echo of a why
# question names it as its own reason ("这就是要逐行检查的原因", "that is the reason it fails").
META_EN = frozenset(
    {"ask", "asking", "asked", "question", "questions", "want", "wants", "know", "wonder", "wondering", "regarding", "about"}
    | {"reason", "reasons", "because", "why", "this", "that"}
)
META_ZH = frozenset("问题关于想知道询请您你咨") | frozenset("原因这那")
# Words that name no fact of their own: a hedge ("it depends on your setup", "视具体情况而定"), a placeholder
# for the thing asked ("the storage location", "存放位置", "in a certain way", "一定的条件"), a connective
# ("while", "whereas", 按照, 根据). Added to a restated question they add nothing; Chinese ones are whole words, removed
# before the text is cut into characters (情 or 位 alone are content elsewhere).
GENERIC_EN = frozenset(
    {"depend", "depending", "dependent", "case", "situation", "circumstance", "setup", "answer"}
    | {"certain", "specific", "particular", "various", "different", "several", "general", "generally", "usually"}
    | {"typically", "normally", "basically", "actually", "simply", "really"}
    | {"thing", "something", "somewhere", "somehow", "stuff", "way", "manner", "kind", "location", "place"}
    | {"method", "while", "whereas", "whether", "though", "although", "since", "therefore", "thus", "hence"}
)
_NOT_CONTENT_EN = STOPWORDS_EN | META_EN | GENERIC_EN
GENERIC_ZH = re.compile(
    "取决于|取决|视情况|情况|具体|一定|某些|某种|某个|一般|通常|相应|相关|不同|答案|位置|方法|方式|办法|东西|按照|根据"
)
# Endings that make another form of a word ("faster", "listening", "loaded", "quickly"); with the base restored
# (an "e" dropped, a consonant doubled, "y" turned "i") such a word is the question's own.
_INFLECTIONS = ("iest", "ier", "ied", "est", "ing", "er", "ed", "ly", "r", "d")
_WORD_RE = re.compile(r"[a-z0-9_]+(?:[.:/-][a-z0-9_]+)*")
_IDENT_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[_:/.-][A-Za-z0-9]+)+|[A-Za-z]+\d[\w.:-]*|--?[a-z][\w-]*")
# A reply that opens with yes/no answers a yes/no question even when the rest restates it. An English one is a
# whole word ("no", not the start of "Noted" or "Now"), and 对 (right) is not the start of 对于 (regarding).
_POLAR = re.compile(r"(?:yes|no|nope|not|correct|right)(?![a-z0-9_])|是的|不是|对(?!于)|不|没有|可以|不能|能|会|不会")


def _units(text: str) -> set[str]:
    """Content units: stemmed English words and identifiers, and single Chinese characters (a character
    test needs no segmenter and does not invent units at word junctions the way bigrams do)."""
    norm = normalize(text)
    words = {stem(w) for w in _WORD_RE.findall(norm) if not {w, stem(w)} & _NOT_CONTENT_EN}
    chars = {c for c in cjk_chars(GENERIC_ZH.sub(" ", norm)) if c not in STOPCHARS_ZH and c not in META_ZH}
    return words | chars


def _form_of(word: str, known: set[str]) -> bool:
    """Whether an English word is an inflected form of one of `known` ("faster" of "fast", "later" of
    "late", "bigger" of "big", "easier" of "easy")."""
    for end in _INFLECTIONS:
        base = word[: -len(end)]
        if word.endswith(end) and len(base) >= 3 and base.isascii() and base.isalpha():
            restored = {base, base + "e"} | ({base + "y"} if end[0] == "i" else set())
            if base[-1] == base[-2]:
                restored.add(base[:-1])
            if restored & known:
                return True
    return False


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class AnswerRelevanceGuardrail:
    name: ClassVar[str] = "answer_relevance"
    stage: ClassVar[Stage] = "output"

    min_echo_coverage: float = Field(
        default=0.6, ge=0.0, le=1.0, description="Share of the question's content an echo repeats (at least)."
    )
    max_new_units: int = Field(
        default=1, ge=0, description="Most content units (words, CJK characters) an echo may add beyond the question."
    )
    check_headings: bool = Field(default=True, description="Reject an answer that is only a heading of the passage.")
    # Fails open: this is a usefulness check, not a safety one; if it breaks, grounding and citations still
    # judge the answer, and the errored verdict stays visible in the trace.
    fail_mode: FailMode = "open"

    def check(self, ctx: GuardContext) -> Verdict:
        answer = (ctx.answer or "").strip()
        if not answer:
            return Verdict(name=self.name, stage=self.stage, fired=False, reason="no answer to check")
        asked, said = _units(ctx.question), _units(answer)
        new = sorted(u for u in said - asked if not _form_of(u, asked))
        coverage = len(asked & said) / len(asked) if asked else 0.0
        # A number or identifier the question does not hold is the answer ("默认监听 11434 端口"), and so is
        # a leading yes/no: neither is an echo however much of the question the reply repeats.
        specific = [n for n in numbers(answer) if n not in numbers(ctx.question)]
        specific += [i for i in _IDENT_RE.findall(answer) if squash(i) not in squash(ctx.question)]
        polar = _POLAR.match(normalize(answer).lstrip(" \"'“「")) is not None
        # Picking one of the options the question offers ("Q4 is faster." for "Which is faster, Q4 or Q8?") answers it.
        picked = picks_one(ctx.question, answer, _units)
        details = {"question_coverage": round(coverage, 3), "new_units": new[:20], "new_specific": specific[:10]}
        echo = asked and coverage >= self.min_echo_coverage and len(new) <= self.max_new_units
        if echo and not specific and not polar and not picked:
            return self._fired(
                f"the answer restates the question ({coverage:.0%} of it) and adds nothing"
                + (f" but {', '.join(new)}" if new else ""),
                evidence=(answer[:120],),
                score=coverage,
                threshold=self.min_echo_coverage,
                details=details,
            )
        if self.check_headings:
            heading = self._heading_only(answer, ctx)
            if heading is not None:
                return self._fired(
                    f"the answer is only the heading {heading!r} of the cited passage",
                    evidence=(heading,),
                    details=details | {"heading": heading},
                )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=f"the answer adds {len(new)} content unit(s) beyond the question and is not a bare heading",
            score=coverage,
            threshold=self.min_echo_coverage,
            details=details,
        )

    def _heading_only(self, answer: str, ctx: GuardContext) -> str | None:
        cited = set(ctx.citations)
        support = [c for c in ctx.chunks if c.label and c.label in cited] or list(ctx.chunks)
        said = bare(answer)
        if not said:
            return None
        for chunk in support:
            code, forms = heading_forms(chunk.text)
            for form, heading in forms:
                if form == said and said not in code:
                    return heading
        return None

    def _fired(
        self,
        reason: str,
        *,
        evidence: tuple[str, ...],
        details: dict[str, object],
        score: float | None = None,
        threshold: float | None = None,
    ) -> Verdict:
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=True,
            action="reask",
            reason=reason,
            evidence=evidence,
            score=score,
            threshold=threshold,
            details=details,
        )
