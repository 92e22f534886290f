"""Claims that contradict the one sentence of the passage they restate: a flipped polarity (the passage says
"no built-in authentication", the answer "ships with built-in authentication") or a swapped number (the
sentence says 8 GB where the answer says 16 GB, while 16 occurs elsewhere in the passage). Swapped comparisons
are in guardrails/overclaims.py.

Pure policy layer (stdlib), used by the grounding guardrail. Token overlap and the similarity signal only see
that an answer uses the passage's words; these checks look at *how* it uses them, but only against the
sentence an answer sentence is clearly about (most of its content words are in it). Looking at the whole
passage instead blocks correct paraphrases over words the passage negates somewhere else. An acronym the passage
never writes is read as the passage's words it abbreviates ("OS" for "operating system") when aligning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from guardrails.text import content_terms, numbers

# Sentences of answer and passage: Chinese and English sentence ends, semicolons, line breaks.
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.:])\s+|\n+")
# A negation's scope ends at a clause boundary; numbers are compared clause by clause ("7B 模型需要 8 GB，
# 13B 模型需要 16 GB" states two values). An English comma ends a clause only before a space (not in 2,048).
_CLAUSE_END = re.compile(r"[，、:：()（）]|,(?=\s)|\s-\s|—")
_CLAUSE_SPLIT = re.compile(r"[，；。！？!?;\n]|,(?=\s)|(?<=[.:])\s+")
# Negation cues. Chinese: negation *words*, not bare characters: 无/非/别 start or end too many names and words
# (战国无双, 无锡, 非洲, 区别, 特别), so 非 counts only in 并非/而非/绝非 and before the few words it negates (非必须),
# 别 never, and 无 except in the words listed below; 不 and 没 count except in words where
# they do not negate the clause (不过 however, 不同 different, 不断 constantly, 淹没 submerge…); 是否 (whether)
# and 否则 (otherwise) are not negations.
# A verb's A-not-A question (是不是, 有没有, 会不会, 能不能: whether) negates nothing: the character before 不/没
# repeated after it; nor do 能否/可否/与否 (whether).
_NEG_ZH = (
    r"不(?![过同仅但断少错久论管如然妨止丹])(?!(?<=(?P<ab>.)不)(?P=ab))|(?<![淹埋出沉湮])没(?!(?<=(?P<am>.)没)(?P=am))有?|"
    r"无法|无需|无须|毫无|并无|无从|(?<!尚)未(?![来知央])|尚未|并非|而非|绝非|(?<![是能可与])否(?![则认决])|勿|"
    # 无 and 非 before the word they negate (无认证, 无效, 非必须, 非流式), not inside words that merely hold them
    # (无线 wireless, 无论 whatever, 无数, 无关 irrelevant, 有无 whether, 非常 very, 是非) nor at a name (无锡, 战国无双).
    r"(?<![有毫并])无(?![线锡论数聊人双比奈辜穷疑限意法需须从关])|无限制|非(?=必|强制|官方|默认|零|空|流式|公开)"
)
_NEG_EN = r"\b(?:not|no|never|cannot|without|none|nothing|neither|nor|instead\s+of|rather\s+than)\b|n't\b"
_NEG_RE = re.compile(f"{_NEG_EN}|{_NEG_ZH}", re.IGNORECASE)
NEGATION = _NEG_RE  # the cues, for the checks beside this one (opposites.py)
MIN_FLIPPED = 2
# An answer that opens with a reply word ("Yes, …", "可以，…", "需要，…") takes a stance on exactly the polarity of
# what it restates; one term it affirms that the restated sentence negates is then enough (see `lead_flips`).
_YES_LEAD = re.compile(
    r"^(?:yes|yeah|yep|sure|correct|indeed|是的|是|对|可以|会|能|有|需要|要)\s*[,，.。!！;；:：]", re.IGNORECASE
)


@dataclass(frozen=True)
class Marked:
    """A sentence's content tokens: all of them, those inside a negation's scope (the rest of its clause after a
    cue), those of clauses without any cue (stated plainly), and its numbers."""

    text: str
    tokens: frozenset[str]
    negated: frozenset[str]
    plain: frozenset[str]
    numbers: frozenset[str]
    partial: frozenset[str] = frozenset()  # after a negated universal ("not all", "并不是所有", "不都"): some do
    total: frozenset[str] = frozenset()  # in a clause said of all or of none ("every", "所有…都", "no", "都不")


# An inline code span (`ollama run qwen2.5:0.5b`, `127.0.0.1:11434`, `"stream": false`, ``a ` b``) is one name:
# no sentence or clause ends inside it, and its backticks and a leading dash (`-v`, `-1`) stay. A list dash ("- "),
# a rule ("---", a table's |---|), a fence (```bash), headings, quotes, emphasis and table bars at a piece's edges
# are layout.
_CODE_SPAN = re.compile(r"(?<!`)``(?!`)[^\n]+?``(?!`)|(?<!`)`[^`\n]+`(?!`)")
_LEADING = re.compile(r"^(?:[\s#>*|]|-+(?!\S)|`{3,}\S*)+")
_TRAILING = re.compile(r"(?:[\s#>*|]|(?<!\S)-+|`{3,})+$")
_TABLE_RULE = re.compile(r"[\s|:-]*")  # |---|:---:|
_EDGE = frozenset(" \t\r\n\f\v#>*|-:`")  # the characters a piece to trim starts or ends with


def _trimmed(piece: str) -> str:
    """`piece` without the layout marks at its edges, nor a backtick there that opens or closes no code span."""
    if piece and piece[0] not in _EDGE and piece[-1] not in _EDGE:
        return piece  # most pieces: nothing to trim
    while not _TABLE_RULE.fullmatch(piece):
        before = piece
        piece = _TRAILING.sub("", _LEADING.sub("", piece))
        if piece.startswith("`") and not _CODE_SPAN.match(piece):
            piece = piece.lstrip("`")
        if piece.endswith("`") and all(m.end() != len(piece) for m in _CODE_SPAN.finditer(piece)):
            piece = piece.rstrip("`")
        if piece == before:
            return piece
    return ""


def _split(text: str, at: re.Pattern[str]) -> list[str]:
    """`text` cut at each match of `at` outside a code span, each piece trimmed, the empty ones left out."""
    inside = [range(m.start() + 1, m.end()) for m in _CODE_SPAN.finditer(text)] if "`" in text else []
    if not inside:
        return [p for p in map(_trimmed, at.split(text)) if p]
    pieces: list[str] = []
    start = 0
    for cut in at.finditer(text):
        while inside and inside[0].stop <= cut.start():
            inside.pop(0)  # spans and cuts both run left to right
        if not (inside and cut.start() in inside[0]):
            pieces.append(text[start : cut.start()])
            start = cut.end()
    pieces.append(text[start:])
    return [p for p in map(_trimmed, pieces) if p]


def sentences(text: str) -> list[str]:
    return _split(text, _SENTENCE_END)


# Verbs of avoiding: what follows them is neither affirmed nor plainly negated (see mark()).
_AVOID = re.compile(
    r"避免|防止|以免|免得|杜绝|阻止|以防|\b(?:avoid|prevent|stop|keep|block)(?:s|ed|ing|ped|ping)?\b(?=.*\bfrom\b)"
    r"|\b(?:avoid|prevent)(?:s|ed|ing)?\b",
    re.IGNORECASE,
)


# Status classes such as 4xx/5xx are not the number 4 or 5.
_NUMBER_CLASS = re.compile(r"\b\d[xX]{2}\b")


# A negation over a universal ("not all", "not every", "不是所有", "并非每个", "不都", "不一定") says that some do: what
# follows it is neither negated nor stated plainly, and against "all do" or "none do" it is a contradiction of scope.
_UNIVERSAL_EN = r"all|every|everything|everyone|always|necessarily|both"
_PARTIAL = re.compile(rf"\s*(?:(?:{_UNIVERSAL_EN})\b|是?(?:所有|全部|每|一定|总是|都|任何))", re.IGNORECASE)
# A clause said of all ("every model", "所有模型都…") or of none ("no model", "none", "never", "都不", "全都没有").
_TOTAL = re.compile(
    r"\b(?:all|every|everything|everyone|any|always|never|none|nothing|nobody|no)\b|所有|全部|每个|每一|任何|一切|一律|总是|始终|"
    r"(?:都|全都)(?=不|没|无法)",
    re.IGNORECASE,
)


def mark(sentence: str) -> Marked:
    negated: set[str] = set()
    plain: set[str] = set()
    partial: set[str] = set()
    total: set[str] = set()
    for clause in _CLAUSE_END.split(sentence):
        cues = list(_NEG_RE.finditer(clause))
        if cues and _PARTIAL.match(clause, cues[0].end()):
            partial |= content_terms(clause[cues[0].end() :])  # "not all models support it": some do
            continue
        if _TOTAL.search(clause):
            total |= content_terms(clause)
        avoided = _AVOID.search(clause) if not cues else None
        if avoided is not None:
            # "避免多个模型同时占用内存" says what "不会有多个模型同时抢内存" says, and "prevents" what "stops" or "blocks"
            # says: what is avoided is neither stated plainly nor negated, so no paraphrase of it flips it.
            plain |= content_terms(clause[: avoided.start()])
            continue
        if not cues:
            plain |= content_terms(clause)
            continue
        # The scope of a negation is the rest of its clause: "not in your own home directory", "无法使用 … GPU".
        # A clause with any cue is not plain, so an idiom holding 不/非/无 (答非所问) never counts as affirmed.
        negated |= content_terms(clause[cues[0].end() :])
    found = numbers(_NUMBER_CLASS.sub(" ", sentence))
    return Marked(
        sentence,
        frozenset(content_terms(sentence)),
        frozenset(negated),
        frozenset(plain),
        frozenset(found),
        frozenset(partial),
        frozenset(total),
    )


@lru_cache(maxsize=4096)
def passage_mark(sentence: str) -> Marked:
    """mark() memoised for passage sentences only: a corpus's sentences come back answer after answer, an answer's
    rarely (the result is frozen, so sharing it is safe)."""
    return mark(sentence)


@lru_cache(maxsize=1024)
def passage_sentences(support: str) -> tuple[Marked, ...]:
    """The marked sentences of a passage (memoised like passage_mark: the same passages come back)."""
    return tuple(passage_mark(s) for s in sentences(support))


@lru_cache(maxsize=1024)
def passage_clauses(support: str) -> tuple[Marked, ...]:
    """The marked clauses of a passage (memoised; values.py reads them too)."""
    return tuple(passage_mark(c) for c in clauses(support))


@dataclass(frozen=True)
class Contradiction:
    claim: str
    sentence: str
    kind: str  # "polarity" | "affirmed" | "number" (here); "order" (overclaims.py); "value" (values.py)
    terms: tuple[str, ...]  # the flipped terms, the numbers (answer's, then the sentence's), or the swapped terms


def clauses(text: str) -> list[str]:
    return _split(text, _CLAUSE_SPLIT)


def align(claim: Marked, passage: Sequence[Marked]) -> tuple[Marked, float] | None:
    """The passage unit sharing the most content tokens with the claim, and how clearly the claim restates
    it: the shared share of the shorter of the two (a long answer sentence may restate a short passage
    sentence, and a short claim a long one). None when they share fewer than two tokens."""
    if not claim.tokens or not passage:
        return None
    best = max(passage, key=lambda s: len(claim.tokens & s.tokens))
    shared = len(claim.tokens & best.tokens)
    return (best, shared / min(len(claim.tokens), len(best.tokens))) if shared >= 2 else None


@lru_cache(maxsize=1024)
def _joined_clauses(support: str) -> tuple[Marked, ...]:
    """Each two neighbouring clauses of a passage sentence, as one unit: an answer clause may say in one what the
    passage says in two ("on a machine with 8 GB of RAM, Q4_K_M is the right choice for a 7B model"). The number check
    excuses a claim only when such a unit gives exactly the claim's numbers, so "13B 需要 32 GB" is still another number
    than "13B 模型需要 16 GB，30B 需要 32 GB" (which gives 16 and 30 too)."""
    joined: list[Marked] = []
    for sentence in sentences(support):
        parts = [c for c in clauses(sentence) if "|" not in c]
        joined += [passage_mark(f"{a}，{b}") for a, b in pairwise(parts)]
    return tuple(joined)


def _restated_elsewhere(claim: Marked, passage: Sequence[Marked]) -> bool:
    """A passage unit as closely aligned with the claim as the best one that gives every number of the claim."""
    best = max(len(claim.tokens & s.tokens) for s in passage)
    return any(len(claim.tokens & s.tokens) == best and claim.numbers <= s.numbers for s in passage)


def restated(answer: str, support: str, *, min_alignment: float, min_tokens: int) -> Iterator[tuple[str, Marked, Marked]]:
    """(answer sentence, its marks, the passage sentence it restates) for each answer sentence of at least
    `min_tokens` content tokens that shares `min_alignment` of them with its best-aligned passage sentence: the
    pairs every same-language contradiction check compares (polarity, numbers, opposites.py)."""
    passage = passage_sentences(support)
    for raw in sentences(answer):
        claim = mark(spelled_out(raw, support))
        aligned = align(claim, passage) if len(claim.tokens) >= min_tokens else None
        if aligned is not None and aligned[1] >= min_alignment:
            yield raw, claim, aligned[0]


# An acronym of the answer (OS, KV, TTL), and the passage's words it may stand for: as many words in a row as it has
# letters, each a content word starting with its letter ("operating system" for OS). After a number it is a unit
# (8 GB, 200 MS), not an abbreviation.
_ACRONYM = re.compile(r"(?<![\w-])(?<!\d\s)[A-Z]{2,5}s?(?![\w-])")
_WORD_RUN = re.compile(r"[A-Za-z][a-z]+(?:[ -][A-Za-z][a-z]+)*")


def spelled_out(sentence: str, support: str) -> str:
    """`sentence` with each acronym the passage never writes replaced by the passage's words it abbreviates, so
    that "no room left for the OS" restates "leaves no room for the operating system" as clearly as its words do.
    An acronym the passage writes, or whose letters no run of passage words begins with, stays as it is."""
    return _ACRONYM.sub(lambda m: _expansion(m.group().rstrip("s"), support) or m.group(), sentence)


def expansion(acronym: str, support: str) -> str | None:
    """The passage's words an acronym it never writes abbreviates ("operating system" for OS); None when none."""
    return _expansion(acronym, support)


@lru_cache(maxsize=4096)
def _expansion(acronym: str, support: str) -> str | None:
    names, initials, words = _initials(support)
    if acronym in names:
        return None
    at = initials.find(acronym) if acronym else -1
    return " ".join(w for w in words[at : at + len(acronym)] if w) if at >= 0 else None  # no bar inside: all words


@lru_cache(maxsize=1024)
def _initials(support: str) -> tuple[frozenset[str], str, tuple[str | None, ...]]:
    """What `_expansion` looks an acronym up in, once per passage (an answer may hold hundreds of acronyms, and
    reading the passage again for each took seconds): the passage's names (the runs of word characters and hyphens
    an acronym it writes would be one of), then, over its runs of words, the initial of each content word (a dot
    for a word without content, a bar between runs) and those words, one for each character. The first place an
    acronym occurs in the initials is then the first run of as many content words with its letters."""
    names = frozenset(re.findall(r"[\w-]+", support))
    content: dict[str, bool] = {}
    marks: list[str] = []
    words: list[str | None] = []
    for run in _WORD_RUN.finditer(support):
        for word in re.split(r"[ -]", run.group()):
            if word not in content:
                content[word] = bool(content_terms(word))
            marks.append(word[0].upper() if content[word] else ".")
            words.append(word)
        marks.append("|")
        words.append(None)
    return names, "".join(marks), tuple(words)


def contradictions(
    answer: str, support: str, *, min_alignment: float, min_tokens: int, lead_flips: int = MIN_FLIPPED
) -> list[Contradiction]:
    """Answer sentences that flip the polarity of, or swap a number of, the passage sentence they restate.
    `lead_flips`: flipped terms that suffice in a sentence opening with a yes (and negating nothing itself)."""
    found: list[Contradiction] = []
    for raw, claim, target in restated(answer, support, min_alignment=min_alignment, min_tokens=min_tokens):
        # Terms one side negates and the other states in a clause without any negation. Two at least: one shared
        # word (or one Chinese character pair) can be a coincidence.
        # A term one sentence both negates and states plainly ("can do nothing except produce text, … can only produce
        # bad text") gives that sentence no polarity to flip.
        flipped = (target.negated & claim.plain - claim.negated) | (claim.negated & target.plain - target.negated)
        if len(flipped) >= MIN_FLIPPED:
            found.append(Contradiction(raw, target.text, "polarity", tuple(sorted(flipped))))
        elif flipped and len(flipped) >= lead_flips and _YES_LEAD.match(raw) and not _NEG_RE.search(raw):
            found.append(Contradiction(raw, target.text, "affirmed", tuple(sorted(flipped))))
        # "not all do" against "all do" or "none do", either way round: the scope of the negation, not its words
        scoped = (claim.partial & target.total - target.partial) | (claim.total & target.partial - claim.partial)
        if len(scoped) >= MIN_FLIPPED and not flipped:
            found.append(Contradiction(raw, target.text, "scope", tuple(sorted(scoped))))
    # Table rows are left out: a row's words are in its header, so a claim aligns with the header, not the row.
    parts = [m for m in passage_clauses(support) if "|" not in m.text]
    for raw in clauses(answer):
        if not numbers(_NUMBER_CLASS.sub(" ", raw)):  # what mark() would find: no number, nothing to compare
            continue
        claim = mark(raw)
        aligned = align(claim, parts)
        if aligned is None or aligned[1] < min_alignment:
            continue
        target = aligned[0]
        if _restated_elsewhere(claim, parts):
            continue  # "about 1 GB per billion parameters" restates the Q8 line as well as it does the Q4 one
        shared = len(claim.tokens & target.tokens)
        if any(j.numbers == claim.numbers and len(claim.tokens & j.tokens) >= shared for j in _joined_clauses(support)):
            continue  # "on an 8 GB machine pick Q4 for a 7B model" joins "with 8 GB of RAM," and "Q4 … for a 7B model"
        # Both give a number the other lacks: the clause states another value for what the claim restates.
        ours, theirs = claim.numbers - target.numbers, target.numbers - claim.numbers
        if ours and theirs:
            found.append(Contradiction(raw, target.text, "number", (*sorted(ours), *sorted(theirs))))
    return found
