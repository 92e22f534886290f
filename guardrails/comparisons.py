"""Claims that restate a passage sentence's comparison with the passage's own words the other way round: the passage
says "a larger model at Q4 answers better than a smaller model at Q8", the answer the reverse. Overlap and
similarity pass it (the words are the passage's) and nothing is negated or renumbered. The converse ("B is slower
than A" for "A is faster than B") restates the sentence and is not one.

Pure policy layer (stdlib), used by the grounding guardrail beside guardrails/polarity.py, with its alignment
(an answer sentence is compared only with the passage sentence it clearly restates). Comparative markers are a
closed class of words (sides.py), like the negation cues of marking.py, not vocabulary of the corpus.
"""

from __future__ import annotations

import re

from guardrails.alignment import Contradiction, align
from guardrails.clause_bounds import CLAUSE_END
from guardrails.marking import NEGATION, mark, passage_sentences
from guardrails.opposites_lexicon import OPPOSITES
from guardrails.sentences import sentences
from guardrails.sides import COMPARATIVE, comparison_sides

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
    "better/worse": (
        r"\bstronger\b|强于|胜过|好于|" + _bare("好", "强", "优"),
        r"\bweaker\b|弱于|" + _bare("差", "弱", "坏", "劣"),
    ),
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
    start = max((m.end() for m in CLAUSE_END.finditer(sentence, 0, marker.start())), default=0)
    end = next((m.start() for m in CLAUSE_END.finditer(sentence, marker.end())), len(sentence))
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
    ours = COMPARATIVE.search(answer)
    mine = _direction(answer, ours) if ours is not None else None
    if mine is None:
        return False
    theirs = [d for m in COMPARATIVE.finditer(target) if (d := _direction(target, m)) is not None and d[0] == mine[0]]
    return bool(theirs) and all(up != mine[1] for _, up in theirs)


def swapped_comparisons(answer: str, support: str, *, min_alignment: float) -> list[Contradiction]:
    """Answer sentences that compare the same things as the passage sentence they restate, the other way round:
    terms only on the left of the comparison in one are only on its right in the other, in both directions, and
    the comparative word is not turned into its opposite (that is the converse, which restates the sentence)."""
    found: list[Contradiction] = []
    comparing = [m for m in passage_sentences(support) if COMPARATIVE.search(m.text)]
    for raw in sentences(answer):
        ours = comparison_sides(raw)
        aligned = align(mark(raw), comparing) if ours is not None else None
        if ours is None or aligned is None or aligned[1] < min_alignment:
            continue
        theirs = comparison_sides(aligned[0].text)
        assert theirs is not None  # every candidate has a marker
        (a_left, a_right), (p_left, p_right) = ours, theirs
        to_right = (a_left - a_right) & (p_right - p_left)
        to_left = (a_right - a_left) & (p_left - p_right)
        if to_right and to_left and not _converse(raw, aligned[0].text):
            found.append(Contradiction(raw, aligned[0].text, "order", (*sorted(to_right), *sorted(to_left))))
    return found
