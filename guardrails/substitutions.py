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
new term from a synonym needs a model, and this layer has none. The clauses' units and the replaced slot are
clause_units.py's; this module reads the slot's two terms.
"""

from __future__ import annotations

import re

from guardrails.alignment import Contradiction
from guardrails.clause_units import (
    MAX_CLAUSE_UNITS,
    closest,
    content,
    neighbours,
    passage_parts,
    replaced_slot,
    same_slot,
    units,
    weight,
)
from guardrails.sentences import clauses
from guardrails.text import has_cjk, is_cjk, normalize
from guardrails.text_quotes import squash

# A clause must restate its passage clause this closely: this share of each side's content the same, in order, and
# at least this much of it (in Chinese characters; a Latin word counts two).
MIN_SAME_SHARE = 0.6
MIN_SAME_WEIGHT = 6
_CODE_OR_NAME = re.compile(r"[a-z][\w-]*(?:[_:/.][\w-]+)+|[a-z]+\d[\w.:-]*|[a-z]+_[\w]+")
_MAX_CJK_TERM = 8
# A Chinese term of two characters is as often a verb or a near-synonym of the other (启动/运行) as a name of another
# thing; from three on it is mostly a compound noun (菜单栏, 系统托盘). Two-character terms count only as siblings of
# one of the passage's lists (X、Y; X 和 Y).
_MIN_ZH_TERM = 3


def _term(slot: list[str], clause: str) -> tuple[str, str, bool] | None:
    """The kind and text of a replaced slot that is one term, and whether it is written as a name (a code span or
    an identifier's shape): ('name', x, …) for one code span or Latin word, ('zh', x, False) for a run of Chinese
    characters; None for anything else (a phrase, a mix)."""
    held = content(slot)
    if len(held) == 1 and not is_cjk(held[0][0]):
        coded = f"`{held[0]}`" in clause.lower() or _CODE_OR_NAME.fullmatch(held[0]) is not None
        return "name", held[0], coded
    if held and all(is_cjk(u) for u in held) and 2 <= len(held) <= _MAX_CJK_TERM:
        return "zh", "".join(held), False
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


def swapped_terms(answer: str, support: str) -> list[Contradiction]:
    """Answer clauses that restate a passage clause with one of its terms replaced by another term of the passage.
    Evidence: the answer's term, then the passage clause's."""
    found: list[Contradiction] = []
    parts = passage_parts(support)
    for raw in clauses(answer):
        ours = units(raw)
        if weight(ours) < MIN_SAME_WEIGHT or not parts or len(ours) > MAX_CLAUSE_UNITS:
            continue
        nearest = closest(ours, parts)
        if nearest is None:
            continue
        text, theirs, matcher = nearest
        slot = replaced_slot(ours, theirs, matcher)
        if slot is None:
            continue
        i1, i2, j1, j2, same = slot
        if same < MIN_SAME_WEIGHT or same < MIN_SAME_SHARE * max(weight(ours), weight(list(theirs))):
            continue
        x, y = _term(list(theirs[i1:i2]), text), _term(ours[j1:j2], raw)
        if x is None or y is None or x[0] != y[0]:
            continue
        if x[0] == "name" and not (x[2] and y[2]) and not (has_cjk(raw) and has_cjk(text)):
            continue  # English words of an English clause: a paraphrase's own choice of words
        if _swapped(x[1], y[1], x[0], answer, text, support):
            continue
        where = neighbours(theirs, i1, i2)
        y_units = content(ours[j1:j2])
        if not any(same_slot(y_units, where, held) for other, held in parts if other != text and not _in(x[1], x[0], other)):
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
    return not any(_in(y, kind, text) and not _in(x, kind, text) for text, _ in passage_parts(support))
