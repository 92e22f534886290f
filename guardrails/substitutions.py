"""Claims that restate a passage clause word for word but for one slot, where they put another term of the passage:
"之后它待在系统托盘" against "之后它待在菜单栏" (系统托盘 being where the passage puts the Windows app), "`stop`：达到
`num_predict` 上限" against "`length`：达到 `num_predict` 上限".

Pure policy layer (stdlib), used by the grounding guardrail beside polarity.py and opposites.py. Overlap cannot see
such a claim (every word is the passage's), nor can the identifier check (the name is the passage's too). The
clause is compared with the passage clause it restates as a sequence of units (a code span, a Latin word, a Chinese
character; function words left out): everything is the same but one replaced slot, the passage's term X there is
nowhere in the answer, and the answer's term Y there is a term the passage gives elsewhere, in a clause without X.
Only terms a rule of form can tell apart are compared, so a paraphrase (启动 for 运行, LLM for 模型) passes:
- two names (code spans, identifiers, and Latin words inside a Chinese clause), or
- two Chinese terms of three to eight characters (two-character ones only when the passage lists them as siblings,
  X、Y or X 和 Y: a two-character word is as often a verb or a near-synonym, 启动/运行), neither inside the other,
  that the passage never gives as each other's gloss (X（Y）, X，即 Y).
And the passage must use Y in a slot like X's (the same unit before or after it, or both opening or closing their
clause), in a clause without X: a sign the two are terms of one kind, and not alternatives ("X 或 Y" in one clause).
A new term the passage never gives (欧氏距离 for 余弦相似度) is left to the overlap and identifier checks: telling a
new term from a synonym needs a model, and this layer has none.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from guardrails.alignment import Contradiction, passage_clauses
from guardrails.sentences import clauses
from guardrails.text import STOPCHARS_ZH, STOPWORDS_EN, has_cjk, is_cjk, normalize
from guardrails.text_quotes import squash

# A clause must restate its passage clause this closely: this share of each side's content the same, in order, and
# at least this much of it (in Chinese characters; a Latin word counts two).
MIN_SAME_SHARE = 0.6
MIN_SAME_WEIGHT = 6
_UNIT = re.compile(r"`[^`\n]+`|[A-Za-z0-9][\w.:/-]*[A-Za-z0-9_]|[A-Za-z0-9]|[\u3400-\u9fff\uf900-\ufaff]", re.ASCII)
_CODE_OR_NAME = re.compile(r"[a-z][\w-]*(?:[_:/.][\w-]+)+|[a-z]+\d[\w.:-]*|[a-z]+_[\w]+")
_MAX_CJK_TERM = 8
_CANDIDATES = 4
# A Chinese term of two characters is as often a verb or a near-synonym of the other (启动/运行) as a name of another
# thing; from three on it is mostly a compound noun (菜单栏, 系统托盘). Two-character terms count only as siblings of
# one of the passage's lists (X、Y; X 和 Y).
_MIN_ZH_TERM = 3
# A clause of more units than this is not compared, nor is one whose nearest passage clauses hold one: a sequence
# match costs up to the cube of the length on repetitive text (one clause of 1,200 repeated units against passage
# clauses of 900 took 3.5 s), while a clause an answer restates is far shorter (45 units at most in the grounding
# sets and 31 in data/docs; 99% of CMRC passage clauses hold at most 43).
MAX_CLAUSE_UNITS = 64


def _units(clause: str) -> list[str]:
    """The clause's units in order: a code span, a Latin word (lowercased), a Chinese character. A code span of
    spaces alone (` `) is no unit."""
    return [bare for u in _UNIT.findall(clause) if (bare := _bare(u))]


def _stop(unit: str) -> bool:
    if is_cjk(unit[0]):
        return unit in STOPCHARS_ZH
    return unit.lower() in STOPWORDS_EN or unit.isdigit()


def _content(units: list[str]) -> list[str]:
    return [u for u in units if not _stop(u)]


def _weight(units: list[str]) -> int:
    """How much of a clause its content units are: a Latin word or code span holds about what two Chinese characters do."""
    return sum(1 if is_cjk(u[0]) else 2 for u in _content(units))


def _bare(unit: str) -> str:
    return unit.strip("`").strip().lower()


def _term(units: list[str], clause: str) -> tuple[str, str, bool] | None:
    """The kind and text of a replaced slot that is one term, and whether it is written as a name (a code span or
    an identifier's shape): ('name', x, …) for one code span or Latin word, ('zh', x, False) for a run of Chinese
    characters; None for anything else (a phrase, a mix)."""
    units = _content(units)
    if len(units) == 1 and not is_cjk(units[0][0]):
        coded = f"`{units[0]}`" in clause.lower() or _CODE_OR_NAME.fullmatch(units[0]) is not None
        return "name", units[0], coded
    if units and all(is_cjk(u) for u in units) and 2 <= len(units) <= _MAX_CJK_TERM:
        return "zh", "".join(units), False
    return None


def _in(term: str, kind: str, text: str) -> bool:
    """`term` written in `text`: a name as a whole word, a Chinese term as a substring."""
    if kind == "zh":
        return term in squash(text)
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", normalize(text)) is not None


def _glossed(x: str, y: str, support: str) -> bool:
    """The passage gives one term as the other's gloss: "X（Y）", "X (Y)", "X，即 Y", "X 也就是 Y", "X 又称 Y"."""
    flat = squash(support)
    links = r"(?:[（(]|，?即|，?也就是|，?又称|，?或称|，?亦称|，?简称)"
    return any(re.search(re.escape(a) + links + re.escape(b), flat) for a, b in ((x, y), (y, x)))


def _listed(x: str, y: str, support: str) -> bool:
    """The passage lists the two terms as siblings: "X、Y", "X 和 Y", "X 与 Y", "X 或 Y", "X 及 Y", either order."""
    flat = squash(support)
    joins = r"(?:、|和|与|或|及|跟|以及)"
    return any(re.search(re.escape(a) + joins + re.escape(b), flat) for a, b in ((x, y), (y, x)))


@lru_cache(maxsize=1024)
def _parts(support: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The passage's clauses with their units (memoised: the same passages come back). Table rows are left out: a
    row aligns with its header, not with a sentence."""
    return tuple((m.text, tuple(_units(m.text))) for m in passage_clauses(support) if "|" not in m.text)


def _closest(
    ours: list[str], parts: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[str, tuple[str, ...], SequenceMatcher[str]] | None:
    """The passage clause the answer clause is closest to as a sequence, among the few sharing most of its units (a
    set intersection is cheap, a sequence match is not, and a passage has many clauses), with the match of the two;
    None when one of the few is too long to compare (MAX_CLAUSE_UNITS)."""
    mine = set(_content(ours))
    nearest = sorted(parts, key=lambda p: len(mine.intersection(p[1])), reverse=True)[:_CANDIDATES]
    if any(len(units) > MAX_CLAUSE_UNITS for _, units in nearest):
        return None
    matches = [(text, units, SequenceMatcher(None, list(units), ours, autojunk=False)) for text, units in nearest]
    return max(matches, key=lambda m: m[2].ratio())


def _slot(ours: list[str], theirs: tuple[str, ...], matcher: SequenceMatcher[str]) -> tuple[int, int, int, int, int] | None:
    """The one replaced slot between the passage clause's units and the answer clause's (its bounds in theirs, then
    in ours, then the content units the same), when everything else is the same but function words and what one
    side adds or leaves out. `matcher`: the match of the two (theirs against ours)."""
    replaced = []
    same = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            same += _weight(ours[j1:j2])
        elif op == "replace" and (_content(list(theirs[i1:i2])) or _content(ours[j1:j2])):
            replaced.append((i1, i2, j1, j2))
    if len(replaced) != 1:
        return None
    return (*replaced[0], same)


def _neighbours(units: tuple[str, ...] | list[str], start: int, end: int) -> tuple[str, str]:
    """The units either side of units[start:end]; "^" and "$" at the clause's edges."""
    return (units[start - 1] if start > 0 else "^", units[end] if end < len(units) else "$")


def _same_slot(term: list[str], before_after: tuple[str, str], units: tuple[str, ...]) -> bool:
    """`term` occurs in `units` with the same unit before it or after it as `before_after` (the edges count)."""
    n = len(term)
    for at in range(len(units) - n + 1):
        if list(units[at : at + n]) == term:
            here = _neighbours(units, at, at + n)
            if here[0] == before_after[0] or here[1] == before_after[1]:
                return True
    return False


def swapped_terms(answer: str, support: str) -> list[Contradiction]:
    """Answer clauses that restate a passage clause with one of its terms replaced by another term of the passage.
    Evidence: the answer's term, then the passage clause's."""
    found: list[Contradiction] = []
    parts = _parts(support)
    for raw in clauses(answer):
        ours = _units(raw)
        if _weight(ours) < MIN_SAME_WEIGHT or not parts or len(ours) > MAX_CLAUSE_UNITS:
            continue
        closest = _closest(ours, parts)
        if closest is None:
            continue
        text, theirs, matcher = closest
        slot = _slot(ours, theirs, matcher)
        if slot is None:
            continue
        i1, i2, j1, j2, same = slot
        if same < MIN_SAME_WEIGHT or same < MIN_SAME_SHARE * max(_weight(ours), _weight(list(theirs))):
            continue
        x, y = _term(list(theirs[i1:i2]), text), _term(ours[j1:j2], raw)
        if x is None or y is None or x[0] != y[0]:
            continue
        if x[0] == "name" and not (x[2] and y[2]) and not (has_cjk(raw) and has_cjk(text)):
            continue  # English words of an English clause: a paraphrase's own choice of words
        if _swapped(x[1], y[1], x[0], answer, text, support):
            continue
        where = _neighbours(theirs, i1, i2)
        y_units = _content(ours[j1:j2])
        if not any(_same_slot(y_units, where, units) for other, units in parts if other != text and not _in(x[1], x[0], other)):
            continue  # the passage never puts Y in a slot like X's: no sign the two are terms of one kind
        found.append(Contradiction(raw, text, "term", (y[1], x[1])))
    return found


def _swapped(x: str, y: str, kind: str, answer: str, clause: str, support: str) -> bool:
    """Not a swap (True): some reading under which Y may stand for X. A swap needs X nowhere in the answer, Y not in
    the restated clause but in another clause of the passage without X, and for Chinese terms neither inside the
    other nor glossed by the other."""
    if x == y or _in(x, kind, answer) or _in(y, kind, clause):
        return True
    if kind == "zh" and (x in y or y in x or _glossed(x, y, support)):
        return True
    if kind == "zh" and min(len(x), len(y)) < _MIN_ZH_TERM and not _listed(x, y, support):
        return True  # two characters may be a verb or a near-synonym (启动/运行, 系统/程序): only siblings of a list
    return not any(_in(y, kind, text) and not _in(x, kind, text) for text, _ in _parts(support))
