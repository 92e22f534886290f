"""What in the passages supports an answer's words, numbers and quoted terms (the grounding guardrail's support side).

Pure policy layer (stdlib), used by guardrails/grounding.py: the answer's claim without its citation marks and list
numbering, the passages' tokens and numbers (memoised: the same passages are checked answer after answer), and the
ways a number or a quoted term is found in a passage when not verbatim (inside a name, around an elision, translated).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from guardrails.claims import same_language, squashed_passage, support_mostly_cjk
from guardrails.list_counts import right_counts
from guardrails.list_lines import list_numbers
from guardrails.text import has_cjk, stem, tokens
from guardrails.text_numbers import number_value, numbers
from guardrails.text_quotes import quoted_terms, squash
from guardrails.values import EN_NUMBER, all_numbers

# Citation markers are not claims: "[S1]", "[1]", "[S1, S2]", "【S2】".
_CITATION_MARK_RE = re.compile(r"[\[【(（]\s*[A-Za-z]{0,3}\d{1,3}(?:\s*[,，、;]\s*[A-Za-z]{0,3}\d{1,3})*\s*[\]】)）]")


# List numbering is layout, not a claim: "1. ", "2) ", "3、" at the start of a line (not "2.5 GB": a decimal; but
# "3、404 和 400" and "2) 8 GB" are numbered), also behind a heading, quote or bullet mark or in emphasis ("### 1. ",
# "- 2. ", "**3.** ", "**4. Timeouts**").
# (list_lines.py reads them. A "•" bullet in front is a bullet like "-", "*" and "+"; a "1:" label is no numbering
# here: "Step 1:" and its kin are step labels, below.)
def _unnumbered(text: str) -> str:
    """`text` with each line's list numbering replaced by a space."""
    kept, at = [], 0
    for start, end in list_numbers(text):
        kept += [text[at:start], " "]
        at = end
    return "".join([*kept, text[at:]])


# An ordinal label of a list item or heading is layout too, worded or not: "Step 1:", "**Step 2.**", "### Option 3 -",
# "第 1 步：", "步骤2：", "方法 3、" where a line (behind the marks above) or a sentence starts, its number followed by
# the label's own punctuation. The same words in running text state a number ("in step 3 it retries", "第 3 步会重试",
# "Step 3 retries"): a claim, checked like any other. (Chinese numerals, "第一步：", are no number the check reads.)
_LABEL_WORD = (
    r"(?:step|stage|phase|part|option|method|approach|way|solution|fix|tip|example|case|scenario|item|point|choice"
    r"|alternative|strategy|task|reason)"
)
_ZH_ORDINAL = r"(?:步骤?|阶段|部分|点|条|种方[法式案]|个?方[法案式]|种|项)"  # 第 N …
_ZH_LABEL_WORD = r"(?:步骤|阶段|方法|方案|方式|选项|要点|原因|示例|建议)"  # … N
_ZH_LABEL = rf"第\s*\d{{1,2}}\s*{_ZH_ORDINAL}|{_ZH_LABEL_WORD}\s*\d{{1,2}}"
_STEP_LABEL_RE = re.compile(
    rf"(?im)(?:^|(?<=[.!?。！？；;])[ \t]*)[ \t]*(?:(?:#{{1,6}}|>+|[-*+])[ \t]+)*(?:\*\*|__|[*_])?"
    rf"(?:{_LABEL_WORD}[ \t]*\d{{1,2}}|{_ZH_LABEL})(?:\*\*|__|[*_])?[ \t]*(?:[:：、)）]|\.(?!\d)|[-–—](?=[ \t]))(?:\*\*|__)?"
)


# Where an answer names a numbered item by its number it states no value: "step 3", "steps 2 and 3", "the 3rd",
# "failure mode 3", "4 steps", "3 places", "第 3 步", "第 2、3 条", "步骤 3", "3 个步骤", an inline enumeration
# "…：1) 下载；2) 解压", "(3)". Such a number is found among the passage's list numbering and step labels too
# (item_numbers); any other number is not. A count is checked against the list by list_counts.py (right_counts,
# wrong_counts), whatever its noun.
_NUMS = r"\d{1,2}(?:\s*(?:[,，、/&\-–~]|\band\b|\bor\b|\bto\b|和|或|到|至)\s*\d{1,2})*"
# The things a list counts ("3 places", "4 layers"): items, not quantities (times, GB, seconds are quantities).
_COUNTED = r"(?:place|level|layer|measure|defen[cs]e|check|kind|type|categor(?:ie|y)|source|mode|thing|error|cause|rule|section)"
_ITEM_REF_RE = re.compile(
    rf"(?i)(?:\b(?:{_LABEL_WORD}|{_COUNTED}|chapter|priority|entry|number)s?\b|\bno\.|#)[ \t]*#?({_NUMS})(?![\d.]\d)"
    rf"|(?<![\w.])(\d{{1,2}})(?:st|nd|rd|th)\b"
    rf"|(?<![\w.])(\d{{1,2}})[ \t]*(?:{_LABEL_WORD}s?\b|{_COUNTED}s\b|个?{_ZH_LABEL_WORD}|{_ZH_ORDINAL}|个?步|件事|[类处层]"
    r"|个(?:地方|层级|来源|阶段|方面|原因|类别))"
    rf"|第\s*({_NUMS})\s*(?:{_ZH_ORDINAL}|个|类|层|级)|{_ZH_LABEL_WORD}\s*({_NUMS})|[(（](\d{{1,2}})[)）]"
    rf"|(?:^|[:：;；,，、。])[ \t]*(\d{{1,2}})(?:[)）]|、(?![ \t]*\d)|\.(?![\d \t]*\d))"
)


# A numbered heading in the heading path the chunker puts on a chunk's first line ("Failure Modes > 3. Unparseable
# output", headings.py) is numbering too; "x > 3. Then it retries." is a sentence, not a path.
_PATH_MARK_RE = re.compile(r"(?m)(?<= > )\d{1,2}(?:[)、]|\.(?!\d))(?=[ \t]*[^\W\d][^\n.!?。！？]{0,80}$)")


def layout_free(text: str) -> str:
    """`text` without its list numbering, numbered headings and step labels (an answer's or a passage's): layout,
    no number it states."""
    return _STEP_LABEL_RE.sub(" ", _unnumbered(_PATH_MARK_RE.sub(" ", text)))


def item_numbers(claim: str) -> set[str]:
    """The numbers by which the claim names numbered items ("step 3", "第 3 步", "4 steps"): not values."""
    return {n for m in _ITEM_REF_RE.finditer(claim) for g in m.groups() if g for n in numbers(g)}


def claim_of(answer: str, cited: Iterable[str]) -> str:
    """The answer without its citation marks, list numbering and step labels: what it claims."""
    claim = layout_free(_CITATION_MARK_RE.sub(" ", answer))
    for label in cited:  # labels of any other shape, when bracketed as citations
        if label:
            claim = re.sub(rf"[\[【]\s*{re.escape(label)}\s*[\]】]", " ", claim)
    return claim


def unsupported_numbers(stated: Iterable[str], support: str, claim: str = "") -> list[str]:
    """The distinct numbers of `stated` the passage neither gives nor writes inside a name. The passage's own list
    numbering and step labels ("3. ", "## 3. Memory", "第 3 步：") give no number, or "重试 3 次" would be supported by a
    list's third item; only a number by which the claim names an item ("step 3", "第 3 步") is found among them.
    A count equal to the item count of a whole passage list it counts ("一共有 3 个部分", list_counts.py) is supported:
    the passage shows it."""
    items = item_numbers(claim) | {t.split()[0] for t in _numbered(claim) & _numbered_titles(support)}
    counted = right_counts(claim, support) if claim else set()
    return [
        n
        for n in dict.fromkeys(stated)
        if n not in counted and not _given(n, support if n in items else layout_free_passage(support))
    ]


def _given(number: str, support: str) -> bool:
    return number in support_numbers(support) or number_within(number, squashed_passage(support))


# A numbered heading or item with the first word of its title ("2. Non-deterministic output", "**3.** The"): an
# answer that copies it with its number ("**2. Non-deterministic output:** …") names the item.
_TITLED = re.compile(r"(?<![\w.])(\d{1,2})(?:[.)、]|\*\*|__)+[ \t]*(?:\*\*|__)?[ \t]*([^\W\d_]+)")


def _numbered(text: str) -> set[str]:
    """The numbers of `text` in front of a title: "2 non" for "**2. Non-deterministic output**"."""
    return {f"{number_value(m[1])} {m[2].lower()}" for m in _TITLED.finditer(text)}


@lru_cache(maxsize=1024)
def _numbered_titles(support: str) -> frozenset[str]:
    """The passage's list marks and numbered headings with the first word of what they number (memoised)."""
    spans = [*list_numbers(support), *(m.span() for r in (_STEP_LABEL_RE, _PATH_MARK_RE) for m in r.finditer(support))]
    marks = (support[start : end + 80] for start, end in spans)
    return frozenset(f"{number_value(t[1])} {t[2].lower()}" for text in marks if (t := _TITLED.search(text)))


@lru_cache(maxsize=1024)
def layout_free_passage(support: str) -> str:
    """layout_free() of a passage, memoised."""
    return layout_free(support)


def unsupported_terms(claim: str, support: str) -> list[str]:
    """The quoted or backticked terms of the claim the passage does not hold, elided or translated."""
    flat = squashed_passage(support)
    return [
        t
        for t in quoted_terms(claim)
        if squash(t) not in flat and not elided_within(t, flat) and not translated(t, claim, support)
    ]


def translated(term: str, answer: str, support: str) -> bool:
    """A quoted term in the answer's own language when the answer is written in another language than its passage:
    a label the passage gives in its language, translated (“应用程序” for **Applications**), which cannot be found
    verbatim. Identifiers inside it are still checked (unsupported_names), and so are the overlap and similarity.
    Backticked code is excused too: reading it as verbatim code (2026-12-06) newly rejected a correct answer whose
    backticks held a formula with a translated word (`num_ctx × parallel` for "num_ctx × 并行数"); reverted."""
    return not same_language(answer, support) and has_cjk(term) != support_mostly_cjk(support)


# What stands for left-out text in a quoted command or value: "…", "...", "{...}", "<model>".
_ELISION = re.compile(r"\{\s*(?:\.\.\.|…)\s*\}|\.\.\.|…|<[\w -]+>")


def elided_within(term: str, flat: str) -> bool:
    """A quoted term that leaves part of the passage's text out (`curl http://localhost:11434/api/generate -d '{...}'`):
    every piece around its placeholders is in the squashed passage, in order, and the pieces hold a name's worth of
    text (an elision alone, or a word or two around it, supports nothing)."""
    if not _ELISION.search(term):
        return False
    pieces = [squash(p) for p in _ELISION.split(term)]
    if sum(len(p) for p in pieces) < 8:
        return False
    at = 0
    for piece in filter(None, pieces):
        found = flat.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def number_within(number: str, flat: str) -> bool:
    """`number` written inside the passage where numbers() does not see one on its own ("2.5" in "qwen2.5:3b",
    "3" in "3b"), as a whole number: "1" is not in "14" or "127.0.0.1", "5" is not in "2.5", "4" is not in the HTTP
    status class "4xx" (text_numbers; in squashed text any "xx" after it, "retry4xxerrors")."""
    return re.search(rf"(?<!\d)(?<!\d\.){re.escape(number)}(?!\d)(?!\.\d)(?![xX]{{2}})", flat) is not None


# The support side, memoised: the same passages are checked answer after answer (and re-ask after re-ask),
# and tokenising, stemming and squashing a whole passage was most of this check's time. Frozen results only.
@lru_cache(maxsize=1024)
def support_tokens(support: str) -> frozenset[str]:
    return frozenset(stem(t) for t in tokens(support))


@lru_cache(maxsize=1024)
def support_numbers(support: str) -> frozenset[str]:
    """The passage's numbers, those it writes in words included ("about three" supports "3 attempts", "三次" supports
    "3 次") whether or not `check_number_words` reads the answer's words as numbers: a number the passage gives is
    supported however the answer writes it. A passage's English number word counts without a unit after it."""
    worded = (str(EN_NUMBER[w.lower()]) for w in _EN_NUMBER_WORD.findall(support))
    return frozenset(numbers(support)) | all_numbers(support) | frozenset(worded)


_EN_NUMBER_WORD = re.compile(rf"\b(?:{'|'.join(EN_NUMBER)})\b", re.IGNORECASE)
