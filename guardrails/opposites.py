"""Claims that restate a passage sentence with one word turned into its opposite: "macOS 默认允许 GPU 使用全部内存"
against "只允许 GPU 使用总内存的一部分", "deletes the model" against "keeps the model", "增加" against "减少", "before"
against "after", "at least" against "at most", "from memory" against "from disk".

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py and overclaims.py, with
their alignment: an answer sentence is compared only with the passage sentence it clearly restates. Of the words
where the two differ, it looks for a pair of opposite senses from a small bilingual lexicon (a closed list of
opposites, like the negation cues of polarity.py, not vocabulary of one corpus): the answer uses one sense and not
the other, the restated sentence the other and not the first, and both are negated alike (so "不会删除" restates
"保留" and "not slower" restates "faster"). A sentence that names both senses ("增加 A 会减少 B") decides nothing.
For the words that order two things (faster/slower than, before/after), the restated terms must keep their sides:
"Q4 is faster than Q8" restates "Q8 is slower than Q4", "Q4 比 Q8 更快" restates "Q8 比 Q4 更慢" (sides are read around
the comparative marker than / 比 when the word's clause has one, else around the word).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guardrails.alignment import NEGATION, Contradiction, restated
from guardrails.text import content_terms

_CLAUSE_END = re.compile(r"[，、；;:：()（）。！？!?]|,(?=\s)|\s-\s|—")


@dataclass(frozen=True)
class Opposite:
    """Two opposite senses, each as a pattern of its English and Chinese forms."""

    name: str
    one: re.Pattern[str]
    other: re.Pattern[str]
    ordering: bool = False  # the words put one thing before the other: swapped sides restate, not contradict


def _senses(name: str, one: str, other: str, *, ordering: bool = False) -> Opposite:
    return Opposite(name, re.compile(one, re.IGNORECASE), re.compile(other, re.IGNORECASE), ordering)


# English forms are whole words (with their inflections); Chinese forms are words, held apart from the words
# that contain them (一部分 is not 全部分, 以上 after a number is "or more", not "the above").
_AFTER = "[\\d０-９一二两三四五六七八九十百千万个位倍天次岁BbK]"
_NUM = rf"(?:(?<={_AFTER})|(?<={_AFTER}\s))及?"
# Speed said as time taken: "takes longer" / "更耗时" is slower, "takes less time" / "更省时" faster. Read as the faster/slower
# sense, a converse on the time scale ("Q8 takes longer to load than Q4" for "Q4 loads faster than Q8") restates.
_TIME = r"(?:time|while)"
_MORE_TIME = (
    rf"\btak(?:e|es|ing|en)\s+(?:much\s+|far\s+|a\s+lot\s+|a\s+bit\s+|even\s+)?(?:longer|more\s+{_TIME})\b"
    rf"|\b(?:longer|more)\s+{_TIME}\s+to\b|更耗时|更费时|更久|较久|耗时更长|耗时较长|用时更长|时间更长|花(?:的)?时间更多"
)
_LESS_TIME = (
    rf"\btak(?:e|es|ing|en)\s+(?:much\s+|far\s+|a\s+lot\s+|a\s+bit\s+|even\s+)?(?:less\s+{_TIME}|shorter)\b"
    rf"|\b(?:less|shorter)\s+{_TIME}\s+to\b|更省时|耗时更短|耗时较短|用时更短|时间更短|花(?:的)?时间更少"
)
OPPOSITES: tuple[Opposite, ...] = (
    _senses(
        "all/part",
        r"\b(?:all|entire|entirely|whole)\b|全部|所有|整个|全都",
        r"\b(?:part|portion|fraction|subset)\s+of\b|(?<![全大第这那该此每一])部分|(?<![第这那该此每])一部分",
    ),
    _senses("always/sometimes", r"\balways\b|总是|始终|每次都", r"\b(?:sometimes|occasionally)\b|有时|偶尔"),
    _senses("at least/at most", r"\bat\s+least\b|\bminimum\b|至少|最少|最低", r"\bat\s+most\b|\bmaximum\b|至多|最多|最高"),
    _senses("above/below", rf"\babove\b|{_NUM}以上", rf"\bbelow\b|{_NUM}以下"),
    _senses(
        "increase/decrease",
        r"\b(?:increas|rais|rising|grow)\w*|\brises?\b|增加|增大|提高|升高|上升|加大|变多",
        r"\b(?:decreas|reduc|lower(?:s|ed|ing)\b|shrink)\w*|减少|减小|降低|下降|缩小|变少",
    ),
    _senses(
        "more/less",
        r"\b(?:more|higher|larger|bigger|greater|longer)\b|更多|更高|更大|更长|较多|较高|较大|越多|越高|越大|越长|多于|高于|大于"
        r"|(?<=[得些])(?:多|高|大|长)(?=一些|一点|些)|[太过](?:多|高|大|长)|\btoo\s+(?:many|much|high|large|big|long)\b",
        r"\b(?:less|fewer|lower|smaller|shorter)\b|更少|更低|更小|更短|较少|较低|较小|越少|越低|越小|越短|少于|低于|小于"
        r"|(?<=[得些])(?:少|低|小|短)(?=一些|一点|些)|[太过](?:少|低|小|短)|\btoo\s+(?:few|little|low|small|short)\b",
        ordering=True,
    ),
    _senses(
        "faster/slower",
        r"\b(?:faster|quicker)\b|更快|较快|加快|变快|快于|" + _LESS_TIME,
        r"\bslower\b|更慢|较慢|减慢|变慢|慢于|" + _MORE_TIME,
        ordering=True,
    ),
    _senses("better/worse", r"\bbetter\b|更好|较好|优于", r"\bworse\b|更差|较差|劣于", ordering=True),
    _senses("before/after", r"\bbefore\b|之前|以前|事先|提前", r"\bafter\b|之后|以后|事后|随后", ordering=True),
    _senses("first/last", r"\bfirst\b|首次|第一次", r"\blast\b|最后一次"),
    _senses(
        "delete/keep",
        r"\b(?:delet|remov|eras)(?:e|es|ed|ing)\b|删除|删掉|移除|清除",
        r"\b(?:keeps?|kept|keeping|retain\w*|preserv\w*)\b|保留|留着",
    ),
    _senses("load/unload", r"\bload(?:s|ed|ing)?\b|加载|载入", r"\bunload(?:s|ed|ing)?\b|卸载"),
    _senses(
        "enable/disable",
        r"\b(?:enabl(?:e|es|ed|ing)|turn(?:s|ed|ing)?\s+on)\b|启用|开启|打开",
        r"\b(?:disabl(?:e|es|ed|ing)|turn(?:s|ed|ing)?\s+off)\b|禁用|停用|关闭|关掉",
    ),
    _senses("cold/warm", r"\bcold\b|冷(?=启动|加载|缓存)", r"\b(?:warm|hot)\b|(?<!预)热(?=启动|加载|缓存)"),
    _senses(
        "allow/forbid",
        r"\b(?:allow|permit)(?:s|ted|ed|ting|ing)?\b|允许",
        r"\b(?:forbid\w*|prohibit\w*|den(?:y|ies|ied))\b|禁止",
    ),
    _senses("start/stop", r"\bstart(?:s|ed|ing)?\b|启动|开始", r"\bstop(?:s|ped|ping)?\b|停止|结束"),
    _senses("success/failure", r"\bsucce(?:ed|eds|ss|ssful|ssfully)\b|成功", r"\bfail(?:s|ed|ing|ure|ures)?\b|失败"),
    _senses("automatic/manual", r"\bautomatic(?:ally)?\b|自动", r"\bmanual(?:ly)?\b|手动|手工"),
    _senses("required/optional", r"\b(?:required|mandatory)\b|必须|必需|必填", r"\boptional\b|可选|选填"),
    _senses("same/different", r"\bsame\b|相同|同一", r"\bdifferent\b|不同"),
    _senses("static/dynamic", r"\bstatic\b|静态", r"\bdynamic\b|动态"),
    _senses("sync/async", r"\bsynchronous(?:ly)?\b|同步", r"\basynchronous(?:ly)?\b|异步"),
    _senses("read/write", r"\bread(?:s|ing)?\b|读取", r"\bwrit(?:e|es|ing|ten)\b|写入"),
    _senses("public/private", r"\bpublic\b|公开|公有", r"\bprivate\b|私有|私密"),
    _senses("open/closed source", r"\bopen[- ]source\b|开源", r"\b(?:closed[- ]source|proprietary)\b|闭源"),
    _senses("local/remote", r"\blocal(?:ly)?\b|本地", r"\b(?:remote(?:ly)?|cloud)\b|远程|云端"),
    _senses("online/offline", r"\bonline\b|联网|在线", r"\boffline\b|离线|断网"),
    _senses("foreground/background", r"\bforeground\b|前台", r"\bbackground\b|后台"),
    _senses("input/output", r"\binputs?\b|输入", r"\boutputs?\b|输出"),
    _senses("memory/disk", r"\b(?:memory|RAM)\b|内存", r"\b(?:disk|SSD)\b|磁盘|硬盘"),
    _senses("CPU/GPU", r"\bCPUs?\b|处理器", r"\bGPUs?\b|显卡"),
)


def _negated(sentence: str, at: int) -> bool:
    """A negation cue before position `at` in its clause ("不会删除", "does not keep")."""
    start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, at)), default=0)
    return NEGATION.search(sentence, start, at) is not None


# The words that put one thing on each side of a comparison ("A is faster than B", "A 比 B 快", "A 优于 B"), for this
# module and the comparison-order check of overclaims.py. 比 only where it compares: not in 比如/比较/比例/比特/对比/相比/无比…
COMPARATIVE = re.compile(
    r"\bthan\b|(?<![对相无好])比(?![如较例特率分赛起方喻])|优于|劣于|不如|胜过|高于|低于|大于|小于|多于|少于|强于|弱于|快于|慢于",
    re.IGNORECASE,
)


def comparison_sides(sentence: str) -> tuple[set[str], set[str]] | None:
    """Content terms before and after the sentence's first comparative marker; None without one."""
    m = COMPARATIVE.search(sentence)
    return (content_terms(sentence[: m.start()]), content_terms(sentence[m.end() :])) if m else None


def _clause_span(sentence: str, at: re.Match[str]) -> tuple[int, int]:
    """Where the clause of `sentence` that holds the match starts and ends."""
    start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, at.start())), default=0)
    end = next((m.start() for m in _CLAUSE_END.finditer(sentence, at.end())), len(sentence))
    return start, end


def _clause(sentence: str, at: re.Match[str]) -> str:
    """The clause of `sentence` that holds the match."""
    start, end = _clause_span(sentence, at)
    return sentence[start:end]


def _sides(sentence: str, at: re.Match[str]) -> tuple[set[str], set[str]]:
    """The two things an ordering word puts apart: around the comparative marker of its clause ("A 比 B 更快" has
    both A and B before 更快); in a clause that goes on from a comparison without naming sides of its own ("A 比 B 大，
    因此加载更慢": A loads slower), around the marker of the clause before; else around the word itself ("A before B")."""
    start, end = _clause_span(sentence, at)
    own = comparison_sides(sentence[start:end])
    if own is not None:
        return own
    before = [m for m in COMPARATIVE.finditer(sentence, 0, start)][-1:]
    names_both = content_terms(sentence[start : at.start()]) and content_terms(sentence[at.end() : end])
    if before and not names_both:  # "因此加载更慢" names nothing after the word: it goes on from the comparison before
        return comparison_sides(_clause(sentence, before[0])) or (set(), set())
    return content_terms(sentence[: at.start()]), content_terms(sentence[at.end() :])


def _swapped(claim: str, ours: re.Match[str], target: str, theirs: re.Match[str]) -> bool:
    """Terms that sit on one side of the claim's ordering word and on the other side of the sentence's."""
    (a_left, a_right), (p_left, p_right) = _sides(claim, ours), _sides(target, theirs)
    return bool(((a_left - a_right) & (p_right - p_left)) or ((a_right - a_left) & (p_left - p_right)))


def _senses_in(pair: Opposite, text: str) -> list[tuple[bool, re.Match[str]]]:
    """Each form of the pair in `text`, in order: (True for the first sense, the match)."""
    found = [(True, m) for m in pair.one.finditer(text)] + [(False, m) for m in pair.other.finditer(text)]
    return sorted(found, key=lambda f: f[1].start())


def _rotated(ours: list[bool], theirs: list[bool]) -> bool:
    """The claim names the senses of the pair in the sentence's order, begun at another of its parallel halves (more
    than two forms: "higher … more, lower … less" told as "lower … less, higher … more")."""
    size = len(theirs)
    return size > 2 and ours != theirs and any(ours == theirs[k:] + theirs[:k] for k in range(1, size))


def turned(pair: Opposite, claim: str, target: str) -> tuple[re.Match[str], re.Match[str]] | None:
    """The claim's form and the sentence's opposite form when the claim turns the sentence's sense of the pair,
    negated alike; None otherwise. One sense on each side: it differs. Several ("lower values give more
    conservative text"): as many on each side, some turned and some not (turning all of them, "higher values give
    less conservative text", restates a correlation)."""
    ours, theirs = _senses_in(pair, claim), _senses_in(pair, target)
    if not ours or not theirs:
        return None
    if len(ours) == len(theirs) > 1:
        if _rotated([s for s, _ in ours], [s for s, _ in theirs]):
            return None  # "lower values give focused text and higher values varied text": the two halves in turn
        pairs = [(a, b) for a, b in zip(ours, theirs, strict=True) if a[0] != b[0]]
        if not pairs or len(pairs) == len(ours):
            return None
    elif len({s for s, _ in ours}) == 1 and len({s for s, _ in theirs}) == 1 and ours[0][0] != theirs[0][0]:
        pairs = [(ours[0], theirs[0])]
    else:
        return None
    (_, mine), (_, other) = pairs[0]
    if _negated(claim, mine.start()) != _negated(target, other.start()):
        return None  # "不会删除" restates "保留"
    if pair.ordering and _swapped(claim, mine, target, other):
        return None  # "Q8 is slower than Q4" restates "Q4 is faster than Q8", "Q8 比 Q4 更慢" restates "Q4 比 Q8 更快"
    return mine, other


def opposite_terms(answer: str, support: str, *, min_alignment: float, min_tokens: int) -> list[Contradiction]:
    """Answer sentences that turn a word of the passage sentence they restate into its opposite: evidence is the
    pair's name, the answer's form and the sentence's form."""
    found: list[Contradiction] = []
    for raw, _, sentence in restated(answer, support, min_alignment=min_alignment, min_tokens=min_tokens):
        target = sentence.text
        for pair in OPPOSITES:
            forms = turned(pair, raw, target)
            if forms is not None:
                found.append(Contradiction(raw, target, "opposite", (pair.name, forms[0].group(), forms[1].group())))
    return found


# The units two senses are paired in: a passage line ("块太大，混入无关内容；块太小，丢失上下文") or sentence.
_UNIT_END = re.compile(r"[。！？!?\n]|(?<=\.)\s")


def _sense_segments(pair: Opposite, unit: str) -> tuple[set[str], set[str]] | None:
    """The content terms a unit says of each sense of the pair: from the sense's word to the other's (or the unit's
    end). None unless the unit names each sense exactly once."""
    found = _senses_in(pair, unit)
    if len(found) != 2 or found[0][0] == found[1][0]:
        return None
    (first_is_one, first), (_, second) = found
    ahead, behind = content_terms(unit[first.end() : second.start()]), content_terms(unit[second.end() :])
    return (ahead, behind) if first_is_one else (behind, ahead)


@lru_cache(maxsize=1024)
def _paired_units(support: str) -> dict[str, tuple[tuple[str, tuple[set[str], set[str]]], ...]]:
    """The passage units naming both senses of a pair once each, by pair name, with what they say of each (memoised:
    the same passages come back answer after answer; callers only read the result)."""
    units = [u for u in _UNIT_END.split(support) if u.strip()]
    found: dict[str, tuple[tuple[str, tuple[set[str], set[str]]], ...]] = {}
    for pair in OPPOSITES:
        segments = [(unit, seg) for unit in units if (seg := _sense_segments(pair, unit)) is not None]
        if segments:
            found[pair.name] = tuple(segments)
    return found


def swapped_senses(answer: str, support: str) -> list[Contradiction]:
    """Answer units that name both senses of a pair and say of each what a passage unit naming both says of the
    other: "块太大会丢失上下文，块太小会混入无关内容" against "块太大，混入大量无关内容；块太小，又会丢失上下文", "top-k too
    small crowds the context, too large misses the answer". Terms both passage sides share do not count; each swapped
    side must carry more terms of the other's than of its own, three at least between them. Evidence: the pair's name
    and the terms."""
    found: list[Contradiction] = []
    paired = _paired_units(support)
    if not paired:
        return found
    for raw in (u for u in _UNIT_END.split(answer) if u.strip()):
        for pair in OPPOSITES:
            ours = _sense_segments(pair, raw) if pair.name in paired else None
            if ours is None:
                continue
            for unit, theirs in paired[pair.name]:
                common = theirs[0] & theirs[1]
                (a_one, a_other), (p_one, p_other) = ours, (theirs[0] - common, theirs[1] - common)
                crossed_one, crossed_other = a_one & p_other, a_other & p_one
                if (
                    min(len(crossed_one), len(crossed_other)) >= 1
                    and len(crossed_one) + len(crossed_other) >= 3
                    and len(crossed_one) > len(a_one & p_one)
                    and len(crossed_other) > len(a_other & p_other)
                ):
                    terms = (pair.name, *sorted(crossed_one | crossed_other))
                    found.append(Contradiction(raw.strip(), unit.strip(), "paired", terms))
                    break
    return found
