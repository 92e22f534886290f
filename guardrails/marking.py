"""Each sentence or clause marked for what it negates, what it states plainly, what it says of some, of all or of
none, and its numbers: what the grounding guardrail's contradiction checks compare once alignment.py has paired an
answer sentence with the passage unit it restates.

Pure policy layer (stdlib). NEGATION is the cue the checks read too (polarity.py, opposites.py, values.py…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guardrails.clause_bounds import NEGATION_SCOPE_END
from guardrails.sentences import clauses, sentences
from guardrails.text import content_terms, content_tokens, stem
from guardrails.text_numbers import numbers

# A negation's scope ends at a clause boundary (clause_bounds.py's NEGATION_SCOPE_END).
# The consequence of a negated Chinese condition: in "还不行就走降级路径" (if it still fails, fall back) and
# "仍不匹配则报错" 不 negates the condition only; 就/则 opens what follows from it (not 就是 or words holding 则).
_THEN = re.compile(r"(?<![原规否实细准法守总])则|就(?![是算])")
# Words a negation may or may not reach, which therefore never alone flip a claim (see Marked.unsure): items
# coordinated after the negated one ("停不下来或答非所问", "does not stop or drifts off": an answer that adds a comma
# before 或者 or "or" ends the negation there), and what follows the noun an English determiner or preposition
# negates ("a request with no prompt just loads the model", "if none is found it prints a warning").
_COORDINATED = re.compile(r"或者|或|以及|\b(?:or|and)\b", re.IGNORECASE)
_NOUN_CUES = frozenset({"no", "none", "without"})
# Negation cues. Chinese: negation *words*, not bare characters: 无/非/别 start or end too many names and words
# (战国无双, 无锡, 非洲, 区别, 特别), so 非 counts only in 并非/而非/绝非 and before the few words it negates (非必须),
# 别 only as "don't" before a verb, and 无 except in the words listed below; 不 and 没 count except in words where
# they do not negate the clause (不过 however, 不同 different, 不断 constantly, 淹没 submerge…); 是否 (whether)
# and 否则 (otherwise) are not negations.
# A verb's A-not-A question (是不是, 有没有, 会不会, 能不能: whether) negates nothing: the character before 不/没
# repeated after it; nor do 能否/可否/与否 (whether).
_NEG_ZH = (
    r"不(?![过同仅但断少错久论管如然妨止丹])(?!(?<=(?P<ab>.)不)(?P=ab))|(?<![淹埋出沉湮])没(?!(?<=(?P<am>.)没)(?P=am))有?|"
    r"无法|无需|无须|毫无|并无|无从|(?<!尚)未(?![来知央])|尚未|并非|而非|绝非|(?<![是能可与])否(?![则认决])|勿|"
    # 无 and 非 before the word they negate (无认证, 无效, 非必须, 非流式), not inside words that merely hold them
    # (无线 wireless, 无论 whatever, 无数, 无关 irrelevant, 有无 whether, 非常 very, 是非) nor at a name (无锡, 战国无双).
    r"(?<![有毫并])无(?![线锡论数聊人双比奈辜穷疑限意法需须从关])|无限制|非(?=必|强制|官方|默认|零|空|流式|公开)|"
    # 别 as "don't" before a verb ("就别把 num_ctx 设得太大"), not in 区别/特别/分别/级别/识别…, nor in 别忘了 (don't
    # forget: remember)
    r"(?<![区特分类级识辨告个差性派判鉴离道送惜有各])别(?=[把让用再设太去急动改写加开关删装跑填传留当])"
)
_NEG_EN = r"\b(?:not|no|never|cannot|without|none|nothing|neither|nor|instead\s+of|rather\s+than)\b|n't\b"
NEGATION = re.compile(f"{_NEG_EN}|{_NEG_ZH}", re.IGNORECASE)  # for the checks too (polarity.py, opposites.py…)


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
    unsure: frozenset[str] = frozenset()  # negated terms the negation may not reach (see _COORDINATED)


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
    """The sentence (or clause) marked clause by clause: the content tokens a negation cue scopes over, those of
    clauses stated plainly, those after a negated universal (partial) or in a clause said of all or none (total),
    and its numbers."""
    negated: set[str] = set()
    plain: set[str] = set()
    partial: set[str] = set()
    total: set[str] = set()
    unsure: set[str] = set()
    todo = NEGATION_SCOPE_END.split(sentence)
    while todo:
        clause = todo.pop(0)
        cues = list(NEGATION.finditer(clause))
        then = _THEN.search(clause, cues[0].end()) if cues else None
        if then is not None:
            todo.insert(0, clause[then.end() :])  # the consequence, a clause of its own
            clause = clause[: then.start()]
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
        scope = clause[cues[0].end() :]
        negated |= content_terms(scope)
        joined = _COORDINATED.search(scope)
        if joined is not None:
            unsure |= content_terms(scope[joined.start() :]) - content_terms(scope[: joined.start()])
        if cues[0].group().lower() in _NOUN_CUES:
            unsure |= content_terms(scope) - {stem(t) for t in content_tokens(scope)[:1]}
    return Marked(
        sentence,
        frozenset(content_terms(sentence)),
        frozenset(negated),
        frozenset(plain),
        frozenset(marked_numbers(sentence)),
        frozenset(partial),
        frozenset(total),
        frozenset(unsure),
    )


def marked_numbers(text: str) -> list[str]:
    """The numbers mark() reads in `text`: a status class such as 4xx is not the number 4."""
    return numbers(_NUMBER_CLASS.sub(" ", text))


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
