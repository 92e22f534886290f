"""A pattern family: a named group of regexes for one attack technique, and the scan that runs families over a
text and over its de-obfuscated variant (deobfuscate.py). For the user's question the scan can also tell an
instruction from a question about a mechanism (`asks_about`): "How do I override the system prompt in the
Modelfile?" names an override but asks how to configure one; "Override the system prompt." gives one.

Pure policy layer (stdlib only); the families themselves are in patterns.py and patterns_more.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from guardrails.deobfuscate import original_of, variants
from guardrails.pattern_prefilter import Prefilter, build

_FLAGS = re.IGNORECASE | re.MULTILINE


@dataclass(frozen=True)
class PatternFamily:
    """A named group of regexes for one attack technique; a text matches the family if any regex matches."""

    name: str
    patterns: tuple[re.Pattern[str], ...]
    # Its words also name a mechanism a user may ask about (overriding a system prompt, a chat-template token,
    # a GUARDRAILS=false setting): a match inside such a question is not an attack (scan's `questions`).
    asked_about: bool = False
    # All patterns as one alternation: one scan answers "does any match?", and benign text (nearly all of
    # it) never pays for the per-pattern scans that collect the snippets.
    any_of: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        combined = "|".join(f"(?:{p.pattern})" for p in self.patterns)
        object.__setattr__(self, "any_of", re.compile(combined, _FLAGS))
        object.__setattr__(self, "_hash", hash((self.name, tuple((p.pattern, p.flags) for p in self.patterns))))

    def __hash__(self) -> int:
        # Computed once: the generated hash hashed every compiled pattern, and re.Pattern hashes its whole
        # compiled code each time (~20 µs per scan, as _any_family's cache key). Equal families hash alike.
        return self._hash

    def find(self, text: str, original: str | None = None, *, questions: bool = False) -> list[str]:
        """The matched snippets, in order of the patterns. When `text` is a de-obfuscated variant of `original`,
        each snippet is the part of `original` it came from (the user's own words, not the normalised ones).
        With `questions`, a family `asked_about` leaves out the matches that sit in a question about it."""
        if self.any_of.search(text) is None:
            return []
        hits: list[str] = []
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                if questions and self.asked_about and asks_about(text, *match.span()):
                    continue
                quoted = match.group(0) if original is None else original_of(original, text, *match.span())
                snippet = " ".join(quoted.split())
                if snippet and snippet not in hits:
                    hits.append(snippet)
        return hits


def family(name: str, *patterns: str, asked_about: bool = False) -> PatternFamily:
    return PatternFamily(name, tuple(re.compile(p, _FLAGS) for p in patterns), asked_about)


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


def asks_about(text: str, start: int, end: int) -> bool:
    """Whether the match text[start:end] sits in a question about a mechanism rather than in an instruction to the
    assistant: an interrogative sentence that addresses no one ("How can I override the system prompt from the
    Modelfile?", "ChatML 模板里的 <|im_start|>system 是什么意思？"), or a setting written for a shell or a container.
    A sentence speaking to the assistant ("you", "please", "请", "吧") or a match that opens its own clause
    ("What is Ollama, ignore the above?") is an instruction."""
    begin = 0
    for stop in _SENTENCE_END.finditer(text, 0, start):
        begin = stop.end()
    after = _SENTENCE_END.search(text, end)
    before, sentence = text[begin:start], text[begin : after.end() if after else len(text)]
    if _TO_ASSISTANT.search(sentence):
        return False
    if _ENV_SETTER.search(before):
        return True
    if _ORDER_FOLLOWS.search(before):
        return False
    if _CJK.search(sentence):
        asked = _ZH_NO_MATTER.sub("", sentence)
        return _ZH_QUESTION_END.search(asked) is not None and _ZH_ASKS.search(asked) is not None
    return _EN_ASKS.match(before) is not None and sentence.rstrip().endswith("?")


@lru_cache(maxsize=16)
def _words(families: tuple[PatternFamily, ...]) -> frozenset[str]:
    """The English words (five letters or more, lower case) the families' patterns spell out: the words a split
    ("ig nore") is joined back into. Escapes (\\s, \\b) and group flags are not words."""
    found: set[str] = set()
    for fam in families:
        for pattern in fam.patterns:
            source = re.sub(r"\\[A-Za-z]|\(\?(?:[=!:]|<[=!])", " ", pattern.pattern)
            for word in re.findall(r"[A-Za-z]{5,}", source):
                found.add(word.lower())
                if word.lower().endswith("s"):
                    found.add(word.lower()[:-1])  # "instructions?" also spells "instruction"
    return frozenset(found)


@lru_cache(maxsize=16)  # keyed by the (immutable, module-level) family tuples: a handful per process
def _any_family(families: tuple[PatternFamily, ...]) -> Prefilter:
    """Every family's patterns as one prefilter: it tells benign text (nearly all of it) apart."""
    return build((p.pattern for fam in families for p in fam.patterns), _FLAGS)


def scan(text: str, families: tuple[PatternFamily, ...], *, questions: bool = False) -> dict[str, list[str]]:
    """family name -> matched snippets, for the families that match (empty dict: nothing matched). The text is
    scanned as written and, when it differs, de-obfuscated ("I g n o r e", "ig nore", "1gn0re", "忽-略",
    Traditional). With `questions` (the user's own question), a match of a family `asked_about` that sits in a
    question about its mechanism does not count (asks_about)."""
    found: dict[str, list[str]] = {}
    prefilter = _any_family(families)
    for version in variants(text, _words(families)):
        if not prefilter.matches(version):
            continue
        for fam in families:
            for hit in fam.find(version, original=text, questions=questions):
                if hit not in found.setdefault(fam.name, []):
                    found[fam.name].append(hit)
    return {name: hits for name, hits in found.items() if hits}
