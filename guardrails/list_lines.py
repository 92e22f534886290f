"""One reading of a markdown list line: its indent, its marker (a bullet, a number, an ordinal label), the number if
any, and its body. The grounding checks that read lists (list numbering as layout, ranked and counted lists,
key–value rows, numbered steps) all read a line here and keep only their own choice of which readings they take.

Pure policy layer (stdlib). The members, and why:
- bullet: "-", "*", "+", "•" with a blank after it ("-5", "*bold*" and "**bold**" are no bullets);
- number: one or two digits and ".", ")" or "、", maybe in emphasis ("**1.**", "__2)__"); a full stop with a digit
  after it is a decimal ("1.5 GB", "3.10 版本"), but ")" and "、" number whatever follows ("3、404 和 400", "2)8 GB"):
  Chinese lists often leave no blank after "、" or "." ("1、安装"), so a number needs none (a reader that wants
  one asks for `gap`); three digits are a value ("2024. "), not a list number;
- label: an ordinal label ending in its punctuation, "Step 1:", "step2.", "第 1 步：", "第六步", or a bare "1:"
  (a digit after the colon is a time, "10:30"), maybe in emphasis ("**Step 1:**");
- frame: heading or quote marks before the marker ("### 1. Memory", "> 2) quoted"): `frame` holds them, and a
  reader that takes no heading or quote as an item refuses a framed line. A bullet in front of a number ("- 1. x")
  is read as the bullet, its body "1. x" (numbering_end reads on to the number behind it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Kind = Literal["bullet", "number", "label"]

_EMPHASIS = r"\*\*|__|[*_]"
_LINE = re.compile(
    rf"""(?P<indent>\s*)(?P<frame>(?:(?:\#{{1,6}}|>+)[ \t]+)*)
    (?:(?P<bullet>[-*+•])(?=\s)
      |(?P<open>{_EMPHASIS})?
       (?:(?P<num>\d{{1,2}})(?P<punct>\.(?!\d)|[)、])
         |(?:step[ \t]*(?P<step>\d{{1,2}})[ \t]*(?:[:：]|\.(?!\d))
           |第[ \t]*(?P<zh>[一二三四五六七八九十\d]{{1,2}})[ \t]*步[:：，,]?
           |(?P<bare>\d{{1,2}})[ \t]*[:：](?!\d)))
       (?P<close>{_EMPHASIS})?)
    (?P<gap>\s*)""",
    re.IGNORECASE | re.VERBOSE,
)
_ZH_DIGIT = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}


@dataclass(frozen=True)
class ListLine:
    indent: int  # characters of blank before the frame or marker
    frame: str  # heading or quote marks before the marker ("### ", "> "), "" for none
    kind: Kind
    number: int | None  # a number's or label's number; None for a bullet
    emphasis: bool  # the number or label is in emphasis ("**1.**")
    mark_end: int  # where the marker ends in the line, its closing emphasis included
    start: int  # where the body starts: after the blank that follows the marker
    body: str  # the rest of the line from `start`

    @property
    def gap(self) -> bool:
        """A blank between the marker and the body."""
        return self.start > self.mark_end


def read_line(line: str) -> ListLine | None:
    """The list reading of one line (no newline in it), or None for a line that starts with no list marker."""
    m = _LINE.match(line)
    if m is None:
        return None
    kind: Kind = "bullet" if m["bullet"] else "number" if m["num"] else "label"
    return ListLine(
        indent=len(m["indent"]),
        frame=m["frame"],
        kind=kind,
        number=None if kind == "bullet" else _number(m["num"] or m["step"] or m["zh"] or m["bare"]),
        emphasis=bool(m["open"] or m["close"]),
        mark_end=m.start("gap"),
        start=m.end(),
        body=line[m.end() :],
    )


def plain_item(line: str) -> ListLine | None:
    """A plain list item: a bullet or a number (not in emphasis, behind no heading or quote mark) and some text after
    it: "- A", "2) B", "3、C" (a Chinese list's "1、安装" is as much an item as "1. Install")."""
    item = read_line(line)
    plain = item is not None and item.kind != "label" and not item.frame and not item.emphasis
    return item if plain and item is not None and item.body.strip() else None


def numbering_end(line: str) -> int | None:
    """Where the list number at the start of `line` ends (its closing emphasis included), read behind heading, quote
    and bullet marks ("### 1.", "- **2.**", "• 3、"); None for a line with none (a label is no list number)."""
    at = 0
    while (item := read_line(line[at:])) is not None and item.kind == "bullet":
        at += item.start
    return at + item.mark_end if item is not None and item.kind == "number" else None


def list_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Where each line's list number starts (at the line's start) and ends in a text of many lines."""
    at = 0
    for line in text.split("\n"):
        end = numbering_end(line)
        if end is not None:
            yield at, at + end
        at += len(line) + 1


def _number(text: str) -> int:
    """1–99 from digits or Chinese numerals ("6", "六", "十二")."""
    if text.isdigit():
        return int(text)
    tens, _, ones = text.rpartition("十")
    return (_ZH_DIGIT.get(tens, 1) * 10 if "十" in text else 0) + _ZH_DIGIT.get(ones, 0)
