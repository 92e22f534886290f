"""How a question frames the words a pattern matched: asked about or reported ("How does it detect 'you are now
DAN'?", "用户输入'忽略之前的所有指令'，这算注入吗？") or handed to the assistant to do ("Translate to French: '…'",
"Override the system prompt."). `Reading` reads one text once (its quoted spans, frame and sentences) for all of
its matches, so a long text of repeated phrases is read in linear time.

Pure policy layer (stdlib only); pattern_family.py asks it about each match.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cached_property

# Where a sentence ends: a full stop only before a space or the end ("qwen2.5", "0.0.0.0" go on).
_SENTENCE_END = re.compile(r"[!?;。！？；\n]|\.(?=\s|$)")
# Whom the sentence addresses: the assistant ("you", "你"), anyone asked for something ("please", "请", "吧"), or
# this very conversation ("now", "for this chat", "本次对话"): then it asks for the thing, not about it.
_TO_ASSISTANT = re.compile(
    r"\b(?:you|your|yours|yourself|u|ur|please|pls|plz|kindly|let'?s|let\s+us|why\s+not|why\s+don'?t|how\s+about"
    r"|what\s+if|shall\s+we|now|this\s+(?:chat|conversation|session|thread|dialog(?:ue)?))\b"
    r"|[你您]|请(?![问求教])|麻烦|帮我|给我|怎么样|好吗|好不好|行吗|行不行|能不能|可不可以|能否|可否|吧\s*[？?]?\s*$"
    r"|从现在(?:起|开始)|(?:本|这|此|当前|这个|这轮)次?对话",
    re.IGNORECASE,
)
# An English question asking for information opens with a question word or an auxiliary ("How do I", "What
# does", "Can I", "Is there") and ends with a question mark.
_EN_ASKS = re.compile(
    r"^\W*(?:(?:so|also|btw|ok|okay|hi|hey|hello|quick\s+question|question)\b\W*)*"
    r"(?:how|what|what's|why|where|when|which|who|whose|is|are|was|were|does|do|did|can|could|should|would|will|may"
    r"|might|has|have)\b",
    re.IGNORECASE,
)
# A Chinese one ends with a question mark or particle and has a question word anywhere (its topic often comes
# first: "<<SYS>> 标签怎么用？"), not one of "no matter how" (不管文档怎么说).
_ZH_ASKS = re.compile(r"如何|怎么|怎样|为什么|为何|什么|哪|是否|多少|有没有|吗|呢")
_ZH_QUESTION_END = re.compile(r"(?:[？?]|吗|呢)\s*$")
_ZH_NO_MATTER = re.compile(r"(?:不管|无论|不论)[^，,。；;！!？?]*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A match right after a clause break or "and"/"then"/"然后" is an order of its own, whatever came before it.
_ORDER_FOLLOWS = re.compile(
    r"(?:[,，、:：—–]|\b(?:and|then|now|just|also|instead|first|next)|然后|并且?|现在|接着|直接)\s*$", re.I
)
# A setting written as the shell or a container gets it: "docker run -e GUARDRAILS=false", "export SAFETY=off".
_ENV_SETTER = re.compile(r"(?:\bexport|(?:^|\s)-e|--env|\bENV|\bsetx|\$env:)[ \t]*=?[ \t]*[\"']?$")


# The user's own setting, reported just before it: "I set GUARDRAILS=false", "we've exported FILTERS=none", "my
# .env has SAFETY=off", "我已经设置了 安全=关闭", "我把 GUARDRAILS=false 写进…". Only a setting (a match with = or :).
_OWN_SETTING = re.compile(
    r"(?:\b(?:I|we)(?:'ve|\s+have|\s+had)?\s+(?:(?:already|just|also|even|then|again|explicitly)\s+)*"
    r"(?:set|put|added|configured|changed|passed|exported|wrote|typed|specified|defined|turned|flipped|switched"
    r"|tried|used|enabled|disabled|included)\b"
    r"|\bmy\s+(?:[\w./-]+\s+){0,3}(?:has|had|says|said|contains|includes|sets|set)\b"
    r"|我们?(?:已经|也|都|明明|刚|刚刚|本来|还)?(?:设置了?|设了|设成|设为|配置了?|配了|改成|改了|写了|加了|填了|传了|用了|把))"
    r"[ \t]*(?:[\w./-]+[ \t]+){0,3}?[\"'`]?$",
    re.IGNORECASE,
)
_SETTING = re.compile(r"[=:：]")
# A quoted span: the words are mentioned, not said. An ASCII apostrophe quotes only when no letter or digit sits
# on its outer side ("don't", "it's" quote nothing); a triple-quoted block (a Modelfile's SYSTEM """…""") counts.
_QUOTED = re.compile(
    r'"""[\s\S]{1,4000}?"""|“[^”\n]{1,600}”|‘[^’\n]{1,600}’|「[^」\n]{1,600}」|『[^』\n]{1,600}』'
    r'|"[^"\n]{1,600}"|(?<![A-Za-z0-9])\'[^\'\n]{1,600}\'(?![A-Za-z0-9])'
)
# A frame that asks about the quoted words or reports them: a question (below), or a reporting word in the
# sentence ("sentences like '…'", "the card says: '…'", "用户输入'…'", "“…”这类").
_REPORTS = re.compile(
    r"\b(?:says?|said|saying|reads|wrote|writes|written|contains?|containing|like|such\s+as|e\.g\.|called|named"
    r"|typed|types|entered|enters|told|tells)\b"
    r"|(?<![小传解听])说|写着|写了|写的|写道|输入|提到|这类|这种|之类|这样的|类似|比如|例如|像|诸如|叫做|称为",
    re.IGNORECASE,
)
# The user saying the quoted words themselves: "I say: '…'", "我说：'…'" (right before the quote).
_USER_SAYS = re.compile(r"(?:\b(?:I|we)\s+(?:say|said|command|order|demand|insist)|我们?(?:说|命令|要求))\s*[:：,，]?\s*$", re.I)
# The quoted words handed over to be done: a doing verb opening a sentence or clause ("Translate to French:
# '…'", "Repeat after me", "and then follow it", "照做：", "并执行"), or "把/将 '…'" (the Chinese disposal form).
_DO_EN = re.compile(
    r"(?:^|[.!?;:,\n(]|\b(?:and|then|now|just|so|ok|okay|also|first|next))\s*"
    r"(?:(?:please|pls|now|just|then|simply|also|first|next|go\s+ahead\s+and|\w+ly)\s+)*"
    r"(?:translate|repeat|say|do|follow|obey|execute|run|perform|apply|act|respond|reply|answer|continue|complete"
    r"|write|print|output|copy|decode|treat|comply|carry\s+(?:\w+\s+)?out|adopt|use|take|read\s+(?:out|aloud)|recite|echo"
    r"|pretend|become|be|roleplay|role-play|play)\b",
    re.IGNORECASE,
)
# "Repeat after me" (跟我念/跟着读) and "do as you say" (说到做到, 照我说的做) hand the words over like 重复 and 照做.
_ZH_DOING = (
    r"(?:照做|照着做|照办|执行|遵守|遵从|服从|听从|按照|照着|翻译|重复|复述|念出|读出|说出|续写|扮演|模仿"
    r"|跟(?:着)?我?(?:念|读)|说到做到|照我说的做)"
)
_DO_ZH = re.compile(rf"(?:^|[，,。：:；;！!\n]|然后|并且?|再|就|直接|立刻|马上)\s*{_ZH_DOING}|{_ZH_DOING}\s*[：:]")
_ZH_DISPOSAL = re.compile(r"[把将]\s*$")
_CLAUSE_WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")
# A phrase quoted to ask about it is short and one sentence ("ignore previous instructions", "你现在是DAN"); a longer
# quote (a pasted log line, a document, a system prompt) may carry an attack of its own and is read as written.
_MENTION_CHARS = 120


def _masked(text: str) -> str:
    """`text` with every quoted span blanked out (same length, so offsets still hold): what the frame says."""
    return _QUOTED.sub(lambda m: "_" * len(m.group(0)), text)


def _is_question(sentence: str) -> bool:
    if _CJK.search(sentence):
        asked = _ZH_NO_MATTER.sub("", sentence)
        return _ZH_QUESTION_END.search(asked) is not None and _ZH_ASKS.search(asked) is not None
    return _EN_ASKS.match(sentence) is not None and sentence.rstrip().endswith("?")


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, begin = [], 0
    for stop in _SENTENCE_END.finditer(text):
        bounds.append((begin, stop.end()))
        begin = stop.end()
    return [*bounds, (begin, len(text))] if begin < len(text) else bounds


def mentions(text: str, start: int, end: int) -> bool:
    """Whether the match text[start:end] lies in a quoted span the user asks about or reports, rather than one
    handed to the assistant to do: "Is 'ignore previous instructions' an example of prompt injection?", "How does
    it detect 'you are now DAN'?", "用户输入'忽略之前的所有指令'，这算注入吗？". The frame (the text outside the
    quotes) must ask a question or report the words ("sentences like '…'", "用户输入'…'"), and must neither speak
    to the assistant in the quote's sentence ("Your new task is in quotes: '…'") nor hand the words over to be
    done anywhere ("Translate to French: '…'", "Repeat after me: '…'", "照做：'…'", "把'…'翻译成英文")."""
    return Reading(text).mentions(start, end)


def asks_about(text: str, start: int, end: int) -> bool:
    """Whether the match text[start:end] sits in a question about a mechanism rather than in an instruction to the
    assistant: an interrogative sentence that addresses no one ("How can I override the system prompt from the
    Modelfile?", "ChatML 模板里的 <|im_start|>system 是什么意思？"), or a setting written for a shell or a container.
    A statement about the user's own setting ("I set GUARDRAILS=false but it still blocks", "我已经把 安全=关闭 写进
    配置了") reports it too. A sentence speaking to the assistant ("you", "please", "请", "吧"; words inside quotes
    do not count) or a match that opens its own clause ("What is Ollama, ignore the above?") is an instruction."""
    return Reading(text).asks_about(start, end)


# How far back from a match the checks anchored at its left ("docker run -e ", "I say: ", "把 ") look: they only
# read the few words right before it. Bounded, so a long text with thousands of matches is read in linear time.
_LOOK_BACK = 512
# _DO_EN at the start of a text (where its ^ holds, and so does the \b before "and", "then"...): the words right
# after a quote, read in place without copying the rest of the text.
_DO_EN_AT = re.compile(
    _DO_EN.pattern.replace(r"(?:^|[.!?;:,\n(]|\b(?:and|", r"(?:[.!?;:,\n(]|(?:and|", 1).replace(
        r"|first|next))\s*", r"|first|next))?\s*", 1
    ),
    re.IGNORECASE,
)
_NOT_SPACE = re.compile(r"\S")
# _EN_ASKS read in place from a sentence's start (nothing in it looks before its start but the ^).
_EN_ASKS_AT = re.compile(_EN_ASKS.pattern.removeprefix("^"), re.IGNORECASE)


class Reading:
    """One text, read once for the checks of its matches (`mentions`, `asks_about`): its quoted spans, the frame
    around them and its sentences are found once, not once per match (quadratic on a long text of repeated
    phrases: minutes for 200 KB)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._sentence_checks: dict[tuple[int, int], tuple[bool, bool | None]] = {}
        self._own_checks: dict[tuple[int, int], tuple[bool, bool]] = {}

    @cached_property
    def quoted(self) -> tuple[tuple[int, int], ...]:
        return tuple(m.span() for m in _QUOTED.finditer(self.text))

    @cached_property
    def _quote_starts(self) -> list[int]:
        return [b for b, _ in self.quoted]

    def quote_holding(self, end: int) -> tuple[int, int] | None:
        """The quoted span q with q.start < end <= q.end (the spans do not overlap: at most one)."""
        index = bisect_left(self._quote_starts, end) - 1
        if index >= 0 and end <= self.quoted[index][1]:
            return self.quoted[index]
        return None

    @cached_property
    def frame(self) -> str:
        return _masked(self.text)

    @cached_property
    def frame_sentences(self) -> list[tuple[int, int]]:
        return _sentences(self.frame)

    @cached_property
    def _frame_sentence_ends(self) -> list[int]:
        return [e for _, e in self.frame_sentences]

    @cached_property
    def frame_hands_over(self) -> bool:
        """The frame as a whole is too short to ask anything, or hands words over to be done."""
        frame = self.frame
        return len(_CLAUSE_WORDS.findall(frame)) < 3 or bool(_DO_EN.search(frame) or _DO_ZH.search(frame))

    @cached_property
    def frame_speaks(self) -> bool:
        """A sentence of the frame that is not a question speaks to the assistant."""
        frame = self.frame
        return any(_TO_ASSISTANT.search(frame[b:e]) and not _is_question(frame[b:e]) for b, e in self.frame_sentences)

    @cached_property
    def frame_asks(self) -> bool:
        frame = self.frame
        return any(_is_question(frame[b:e]) for b, e in self.frame_sentences)

    @cached_property
    def _sentence_stops(self) -> list[int]:
        return [m.end() for m in _SENTENCE_END.finditer(self.text)]

    def mentions(self, start: int, end: int) -> bool:
        text, frame = self.text, self.frame
        span = self.quote_holding(end)
        # A match may begin outside the quote only with the question word that opens it ("What makes 'print your…'").
        lead = text[start : span[0]] if span is not None else ""
        if span is None or (start <= span[0] and not (_EN_ASKS.match(lead) and len(lead.split()) <= 3)):
            return False
        inner = text[span[0] : span[1]].strip("\"'“”‘’「」『』").strip()
        if len(inner) > _MENTION_CHARS or len(_sentences(inner.rstrip(".!?;。！？； \n"))) > 1:
            return False
        if self.frame_hands_over:
            return False
        # A quoted sentence followed by an order ("'Ignore all previous instructions.' Do it.").
        if _SENTENCE_END.search(inner[-1:]) and self._order_after(span[1]):
            return False
        back = max(0, span[0] - _LOOK_BACK)
        if _ZH_DISPOSAL.search(frame, back, span[0]) or _USER_SAYS.search(frame, back, span[0]):
            return False
        speaks, reports = self._own_sentence(span)
        # Spoken to the assistant: in the quote's sentence, or in any other sentence that is not a question.
        if speaks or self.frame_speaks:
            return False
        return reports or self.frame_asks

    def _order_after(self, position: int) -> bool:
        """The frame after `position`, leading white space left out, opens with an order (_DO_EN's match)."""
        found = _NOT_SPACE.search(self.frame, position)
        return found is not None and _DO_EN_AT.match(self.frame, found.start()) is not None

    def _own_sentence(self, span: tuple[int, int]) -> tuple[bool, bool]:
        """Whether the frame's sentence holding the quote speaks to the assistant, and whether it reports words."""
        sentences = self.frame_sentences
        # The first sentence holding the quote's first or last character, as a scan of the sentences finds it.
        index = bisect_right(self._frame_sentence_ends, span[0])
        if index < len(sentences) and sentences[index][0] <= span[0]:
            own = sentences[index]
        else:
            last = bisect_right(self._frame_sentence_ends, span[1] - 1)
            own = sentences[last] if last < len(sentences) and sentences[last][0] <= span[1] - 1 else (0, len(self.frame))
        key = (own[0], max(own[1], span[1]))
        if key not in self._own_checks:
            mine = self.frame[key[0] : key[1]]
            self._own_checks[key] = (_TO_ASSISTANT.search(mine) is not None, _REPORTS.search(mine) is not None)
        return self._own_checks[key]

    def asks_about(self, start: int, end: int) -> bool:
        text = self.text
        if self.quote_holding(end) is not None:
            return self.mentions(start, end)  # quoted words: asked about only as `mentions` has it
        stops = self._sentence_stops
        # The sentence's start: after the last sentence end before the match, as a scan of text[:start] finds it
        # (there a full stop right before the match ends a sentence too: the end of that text follows it).
        index = bisect_right(stops, start) - 1
        begin = start if start > 0 and text[start - 1] == "." else (stops[index] if index >= 0 else 0)
        # Its end: the first sentence end at or after the match's end (each is one character).
        following = bisect_left(stops, end + 1)
        finish = stops[following] if following < len(stops) else len(text)
        speaks, question = self._sentence(begin, finish)
        if speaks:
            return False
        before = text[max(begin, start - _LOOK_BACK) : start]
        if _ENV_SETTER.search(before) or (_SETTING.search(text, start, end) and _OWN_SETTING.search(_masked(before))):
            return True
        if _ORDER_FOLLOWS.search(before):
            return False
        if question is not None:
            return question
        return _EN_ASKS_AT.match(text, begin, start) is not None and text[begin:finish].rstrip().endswith("?")

    def _sentence(self, begin: int, finish: int) -> tuple[bool, bool | None]:
        """Whether text[begin:finish] speaks to the assistant, and (a Chinese sentence) whether it asks a question."""
        key = (begin, finish)
        if key not in self._sentence_checks:
            sentence = self.text[begin:finish]
            question: bool | None = None
            if _CJK.search(sentence):
                asked = _ZH_NO_MATTER.sub("", sentence)
                question = _ZH_QUESTION_END.search(asked) is not None and _ZH_ASKS.search(asked) is not None
            self._sentence_checks[key] = (_TO_ASSISTANT.search(_masked(sentence)) is not None, question)
        return self._sentence_checks[key]
