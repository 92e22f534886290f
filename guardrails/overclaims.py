"""Claims that restate a passage sentence with the passage's own words and still contradict it: a swapped
comparison (the passage says "a larger model at Q4 answers better than a smaller model at Q8", the answer the
reverse), a swapped relation (the passage says "Open WebUI calls Ollama", the answer "Ollama calls Open WebUI"),
or a precedence or sequence turned round ("请求里的 keep_alive 优先级更高" against "环境变量的优先级更高，会覆盖请求里的
keep_alive"; "first A, then B" against "first B, then A"). Overlap and similarity pass it (the words are the passage's) and nothing is negated or renumbered.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py, with its alignment
(an answer sentence is compared only with the passage sentence it clearly restates). Comparative markers are a
closed class of words, like the negation cues of polarity.py, not vocabulary of the corpus.
"""

from __future__ import annotations

import re

from guardrails.alignment import NEGATION, Contradiction, align, mark, passage_sentences
from guardrails.opposites import COMPARATIVE as _COMPARATIVE
from guardrails.opposites import OPPOSITES
from guardrails.opposites import comparison_sides as _sides
from guardrails.sentences import sentences
from guardrails.text import content_terms

# The scales a comparison runs along, each with its two directions: the ordering pairs of the opposites lexicon
# (more/less, faster/slower, better/worse) and the comparative words only a comparison has. A Chinese adjective
# standing alone (快, 少, 差) is the comparison's only after 更/还/要/稍/略/较 or before what ends or measures it
# (快得多, 慢不少, 少 2 GB, 差一些, 。): in a name (小模型, 大约, 小时) it is not.
_BARE_BEFORE = r"(?<=[更还要稍略较])"
_BARE_AFTER = r"(?=[得了很些点一二两三四五六七八九十倍\d\s，。；;,.!?！？）)]|多(?![数少])|不少|$)"


def _bare(*words: str) -> str:
    either = "|".join(words)
    return f"{_BARE_BEFORE}(?:{either})|(?:{either}){_BARE_AFTER}"


_MORE_WORDS: dict[str, tuple[str, str]] = {
    "more/less": (_bare("多", "大", "高", "长"), _bare("少", "小", "低", "短")),
    "faster/slower": (_bare("快"), _bare("慢", "久")),
    "better/worse": (r"\bstronger\b|强于|胜过|" + _bare("好", "强", "优"), r"\bweaker\b|弱于|" + _bare("差", "弱", "坏", "劣")),
}
_SCALES: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (
        pair.name,
        re.compile(f"{pair.one.pattern}|{_MORE_WORDS[pair.name][0]}", re.IGNORECASE),
        re.compile(f"{pair.other.pattern}|{_MORE_WORDS[pair.name][1]}", re.IGNORECASE),
    )
    for pair in OPPOSITES
    if pair.name in _MORE_WORDS
)
# "A 不如 B (快)": A is the lesser (the slower); alone it says "worse".
_NOT_AS = "不如"


def _senses(text: str) -> list[tuple[int, str, bool]]:
    """(where, scale, True for its upper direction) of each comparative word of `text`. A word inside a longer one
    of another scale is that one's ("longer" in "takes longer" is slower, not more)."""
    found = [
        (m.start(), m.end(), name, up)
        for name, *ways in _SCALES
        for up, way in zip((True, False), ways, strict=True)
        for m in way.finditer(text)
    ]
    return sorted(
        (start, name, up)
        for start, end, name, up in found
        if not any(s <= start and end <= e and e - s > end - start for s, e, *_ in found)
    )


def _direction(sentence: str, marker: re.Match[str]) -> tuple[str, bool] | None:
    """The scale of a sentence's comparison and whether it puts the left side above the right on it ("A is faster
    than B": faster/slower, True; "A 比 B 慢", "A 不如 B 快", "A is not faster than B": False); None when no
    comparative word says. The word is the marker itself (优于, 慢于), else the last one of the clause before "than"
    or the first one after 比 / 不如, turned round by a negation before it in the clause or by 不如."""
    start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, marker.start())), default=0)
    end = next((m.start() for m in _CLAUSE_END.finditer(sentence, marker.end())), len(sentence))
    word = marker.group()
    own = _senses(word)
    if own and word != _NOT_AS:
        _, scale, up = own[-1]
        return scale, up != bool(NEGATION.search(sentence, start, marker.start()))
    if word.lower() == "than":  # "A is faster than B", "A uses less memory than B": the last word before it
        found = [(at + start, scale, up) for at, scale, up in _senses(sentence[start : marker.start()])][-1:]
    else:  # "A 比 B 快得多", "A 比 B 占用更少内存": the first word after it (得多 says how much)
        found = [(at + marker.end(), scale, up) for at, scale, up in _senses(sentence[marker.end() : end])][:1]
    if word == _NOT_AS:
        return (found[0][1], not found[0][2]) if found else ("better/worse", False)
    if not found:
        return None
    at, scale, up = found[0]
    return scale, up != bool(NEGATION.search(sentence, start, at))


def _converse(answer: str, target: str) -> bool:
    """The answer turns the restated sentence's comparison round on the same scale ("B is slower than A" for "A is
    faster than B"; "B 比 A 慢" for "A 比 B 快"): with its sides swapped it says the same. Of a sentence comparing on
    several scales ("A runs faster than B and uses less memory than B") the comparison on the answer's scale counts."""
    ours = _COMPARATIVE.search(answer)
    mine = _direction(answer, ours) if ours is not None else None
    if mine is None:
        return False
    theirs = [d for m in _COMPARATIVE.finditer(target) if (d := _direction(target, m)) is not None and d[0] == mine[0]]
    return bool(theirs) and all(up != mine[1] for _, up in theirs)


def swapped_comparisons(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that compare the same things as the passage sentence they restate, the other way round:
    terms only on the left of the comparison in one are only on its right in the other, in both directions, and
    the comparative word is not turned into its opposite (that is the converse, which restates the sentence)."""
    found: list[Contradiction] = []
    comparing = [m for m in passage_sentences(support) if _COMPARATIVE.search(m.text)]
    for raw in sentences(answer):
        ours = _sides(raw)
        aligned = align(mark(raw), comparing) if ours is not None else None
        if ours is None or aligned is None or aligned[1] < min_alignment:
            continue
        theirs = _sides(aligned[0].text)
        assert theirs is not None  # every candidate has a marker
        (a_left, a_right), (p_left, p_right) = ours, theirs
        to_right = (a_left - a_right) & (p_right - p_left)
        to_left = (a_right - a_left) & (p_left - p_right)
        if to_right and to_left and not _converse(raw, aligned[0].text):
            found.append(Contradiction(raw, aligned[0].text, "order", (*sorted(to_right), *sorted(to_left))))
    return found


# The words that relate one thing to another in a direction ("A uses B", "A 调用 B"): the same words with the two
# things the other way round state another relation. A closed class, like the comparative markers above. A
# passive (by / 被 / 由) or a sentence asking which way round names its things the other way on purpose.
_RELATION = re.compile(
    r"\b(?:us(?:e|es|ed|ing)|call(?:s|ed|ing)?|depend(?:s|ed|ing)?\s+on|contain(?:s|ed|ing)?|replac(?:e|es|ed|ing)|"
    r"send(?:s|ing)?|sent|forward(?:s|ed|ing)?|wrap(?:s|ped|ping)?|extend(?:s|ed|ing)?|inherit(?:s|ed|ing)?|"
    r"run(?:s|ning)?\s+(?:on|inside|in)|connect(?:s|ed|ing)?\s+to|point(?:s|ed|ing)?\s+to)\b"
    r"|调用|依赖|包含|取代|替代|替换|转发|发送给|发给|传给|连接到|连到|指向|基于|继承|封装|运行在|跑在",
    re.IGNORECASE,
)
_PASSIVE = re.compile(r"\bby\b|被|由", re.IGNORECASE)


_CLAUSE_END = re.compile(r"[，、；;:：()（）]|,(?=\s)|\s-\s|—")


def _clause_of(sentence: str, at: re.Match[str]) -> tuple[str, str] | None:
    """The text of the relation word's clause before it and after it; None in a passive clause (by / 被 / 由)."""
    start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, at.start())), default=0)
    end = next((m.start() for m in _CLAUSE_END.finditer(sentence, at.end())), len(sentence))
    before, after = sentence[start : at.start()], sentence[at.end() : end]
    return None if _PASSIVE.search(before) or _PASSIVE.search(after) else (before, after)


def swapped_relations(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that use the relation word of the passage sentence they restate with its two things the
    other way round, within the word's clause: a shared term before the word in one is after it in the other,
    and one the other way too. A passive clause names its things the other way on purpose and is left out."""
    found: list[Contradiction] = []
    relating = [m for m in passage_sentences(support) if _RELATION.search(m.text)]
    for raw in sentences(answer):
        ours = _RELATION.search(raw)
        mine = _clause_of(raw, ours) if ours is not None and not _COMPARATIVE.search(raw) else None
        aligned = align(mark(raw), relating) if mine is not None else None
        if ours is None or mine is None or aligned is None or aligned[1] < min_alignment:
            continue
        target = aligned[0].text
        theirs = next((m for m in _RELATION.finditer(target) if m.group().lower() == ours.group().lower()), None)
        other = _clause_of(target, theirs) if theirs is not None and not _COMPARATIVE.search(target) else None
        if other is None:
            continue  # another relation word, a comparison or a passive: nothing to compare the sides of
        (a_before, a_after), (p_before, p_after) = (tuple(map(content_terms, mine)), tuple(map(content_terms, other)))
        to_after = (a_before - a_after) & (p_after - p_before)
        to_before = (a_after - a_before) & (p_before - p_after)
        if to_after and to_before:
            found.append(Contradiction(raw, target, "relation", (ours.group(), *sorted(to_after), *sorted(to_before))))
    return found


# A hedge limits how widely a sentence holds ("usually", "often", "通常", "一般"); an absolute says it holds without
# exception ("always", "never", "any", "一定", "任何", "所有"). Both are closed classes of words, like the markers above.
_HEDGE = re.compile(
    r"(?<!at\s)(?<!the\s)\bmost\b|\b(?:usually|often|typically|generally|mostly|most\s+of|in\s+most|some|sometimes|may|might|rarely|seldom|likely|"
    r"frequently|not\s+always|not\s+necessarily|tends?\s+to)\b"
    r"|通常|一般|往往|大多|多数|大部分|部分|有时|可能|基本上|很少|较少|不一定|未必|不大|不太|多半|大致|大体",
    re.IGNORECASE,
)
_ABSOLUTE = re.compile(
    r"\b(?:always|never|all|every|any|none|guaranteed|invariably|definitely|certainly|regardless|whatever|whichever)\b"
    # 一定 says "certainly", not in 一定数量/一定程度 ("a certain number", "to some degree"), which is itself a hedge.
    r"|一定(?!数|量|程度|范围|比例|时间|规模|限度|的)|总是|始终|永远|从不|从来|任何|所有|全部|一律|绝对|必然|必定|肯定|无论|不管|毫无例外",
    re.IGNORECASE,
)


HEDGE = _HEDGE  # the hedges, for crosslingual.py


def absolutes(text: str) -> set[str]:
    """The words of `text` that state without exception (always, never, any, 一定, 所有…), lower-cased."""
    return {m.group().lower() for m in _ABSOLUTE.finditer(text)}


def hedges(text: str) -> set[str]:
    """The words of `text` that limit how widely it holds (usually, often, 通常, 不大…), lower-cased."""
    return {m.group().lower() for m in _HEDGE.finditer(text)}


def overgeneralized(answer: str, support: str, *, min_alignment: float, min_tokens: int) -> list[Contradiction]:
    """Answer sentences that state without exception what the passage sentence they restate hedges: the sentence
    says "usually" / "通常" / "often", the answer drops every hedge and says "always" / "一定" / "any" / "never"
    where the sentence does not. Evidence: the answer's absolutes, then the sentence's hedges."""
    found: list[Contradiction] = []
    passage = passage_sentences(support)
    for raw in sentences(answer):
        absolutes = {m.group().lower() for m in _ABSOLUTE.finditer(raw)}
        claim = mark(raw) if absolutes and not _HEDGE.search(raw) else None
        aligned = align(claim, passage) if claim is not None and len(claim.tokens) >= min_tokens else None
        if aligned is None or aligned[1] < min_alignment:
            continue
        target = aligned[0].text
        hedges = sorted({m.group().lower() for m in _HEDGE.finditer(target)})
        added = sorted(absolutes - {m.group().lower() for m in _ABSOLUTE.finditer(target)})
        if hedges and added:
            found.append(Contradiction(raw, target, "general", (*added, *hedges)))
    return found


# Words that put one thing first and another second: precedence ("A overrides B", "A takes precedence over B",
# "A has higher priority", "A 覆盖 B", "A 优先于 B", "A 的优先级更高") and sequence ("first A, then B", "先 A 再 B", "A 然后 B", "A before B"):
# the thing before the word wins or comes first. After "after" the thing after it comes first ("B after A"). A closed
# class, like the comparative and relation words above. 再 counts only after a 先 ("先…再…"): alone it is "again".
_FIRST_LEFT = re.compile(
    r"\boverrid(?:e|es|ing)\b|\boverrode\b|\b(?:takes?|taking|took)\s+(?:precedence|priority)\s+over\b|\bprecedes?\b"
    r"|\b(?:has|have|having|gets?)\s+(?:a\s+|the\s+)?(?:higher|highest|top)\s+priority\b"
    r"|\bthen\b|\bfollowed\s+by\b|\bbefore\b|覆盖|优先于|先于|优先级(?:更高|最高|高于)|然后|随后|接着",
    re.IGNORECASE,
)
_THEN_ZH = re.compile(r"(?<=先)[^。；;!?！？]*?(再)(?![次也])")
_FIRST_RIGHT = re.compile(r"\bafter\b", re.IGNORECASE)
# A passive names the winner after the word ("B is overridden by A", "B 被 A 覆盖"): its clause is left out.
_PRECEDENCE_WORD = re.compile(r"overrid|overrode|precedence|priority|覆盖|优先", re.IGNORECASE)


def _order_words(sentence: str) -> list[tuple[int, int, bool]]:
    """(start, end, whether the thing before it comes first) of each ordering word of a sentence."""
    found = [(m.start(), m.end(), True) for m in _FIRST_LEFT.finditer(sentence)]
    found += [(m.start(1), m.end(1), True) for m in _THEN_ZH.finditer(sentence)]
    found += [(m.start(), m.end(), False) for m in _FIRST_RIGHT.finditer(sentence)]
    return sorted(found)


def _ordered(sentence: str) -> tuple[set[str], set[str]] | None:
    """The content terms a sentence puts first and those it puts second; None without an ordering word. Before a
    first-left word comes everything from the sentence's start ("先 A，再 B", "A 的优先级更高，会覆盖 B"), after it the
    rest of its clause; a first-right word ("B after A") the other way round, within its clause."""
    first: set[str] = set()
    second: set[str] = set()
    words = _order_words(sentence)
    for start, stop, left_first in words:
        end = next((c.start() for c in _CLAUSE_END.finditer(sentence, stop)), len(sentence))
        begin = max((c.end() for c in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
        if _PRECEDENCE_WORD.search(sentence[start:stop]) and _PASSIVE.search(sentence[begin:end]):
            continue  # "B 被 A 覆盖", "B is overridden by A": the winner is named after the word
        after = content_terms(sentence[stop:end])
        if left_first:
            first |= content_terms(sentence[:start])
            second |= after
        else:
            first |= after
            second |= content_terms(sentence[begin:start])
    return (first, second) if first or second else None


def swapped_precedence(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that put second what the passage sentence they restate puts first: a term only on the
    passage sentence's first side is only on the answer's second side, and the passage's second side (when it
    names one) has a term only on the answer's first side. "环境变量的优先级更高，会覆盖请求里的字段" against "请求里的字段
    优先级更高"; "先检查防火墙，再确认服务" against "先确认服务，再检查防火墙". Comparisons are the order check's."""
    found: list[Contradiction] = []
    passage = passage_sentences(support)
    for raw in sentences(answer):
        ours = _ordered(raw) if not _COMPARATIVE.search(raw) else None
        aligned = align(mark(raw), passage) if ours is not None else None
        if ours is None or aligned is None or aligned[1] < min_alignment or _COMPARATIVE.search(aligned[0].text):
            continue
        theirs = _ordered(aligned[0].text)
        if theirs is None:
            continue
        (a_first, a_second), (p_first, p_second) = ours, theirs
        moved = (p_first - p_second) & (a_second - a_first)
        back = (p_second - p_first) & (a_first - a_second)
        if moved and (back or not p_second - p_first):
            found.append(Contradiction(raw, aligned[0].text, "precedence", (*sorted(moved), *sorted(back))))
    return found
