"""A pattern family: a named group of regexes for one attack technique, and the scan that runs families over a
text and over its de-obfuscated variant (deobfuscate.py). For the user's question the scan can also tell an
instruction from a question about a mechanism (pattern_reading.py): "How do I override the system prompt in the
Modelfile?" names an override but asks how to configure one; "Override the system prompt." gives one.

Pure policy layer (stdlib only); the families themselves are in patterns.py and patterns_more.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from guardrails.deobfuscate import Normalised, normalise
from guardrails.pattern_prefilter import Prefilter, build
from guardrails.pattern_reading import Reading

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

    def find(self, text: str, source: Normalised | None = None, *, questions: bool = False) -> list[str]:
        """The matched snippets, in order of the patterns. When `text` is the de-obfuscated variant in `source`,
        each snippet is the part of the original it came from (the user's own words, not the normalised ones).
        With `questions`, a family `asked_about` leaves out the matches that sit in a question about it, and every
        family leaves out the matches inside a quoted span the question asks about (`mentions`)."""
        if self.any_of.search(text) is None:
            return []
        return self._find(Reading(text), source, questions=questions)

    def _find(self, reading: Reading, source: Normalised | None, *, questions: bool) -> list[str]:
        text = reading.text
        hits: dict[str, None] = {}
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                quoted = match.group(0) if source is None else source.quote(*match.span())
                snippet = " ".join(quoted.split())
                # A snippet already kept cannot be kept again: whether this match is set aside changes nothing
                # (a long text repeating one phrase asked that thousands of times, each over the whole text).
                if not snippet or snippet in hits:
                    continue
                if questions and self._set_aside(reading, *match.span()):
                    continue
                hits[snippet] = None
        return list(hits)

    def _set_aside(self, reading: Reading, start: int, end: int) -> bool:
        """A match of the user's question that is not an attack: quoted words asked about, or (a family
        `asked_about`) a question about the mechanism."""
        return reading.mentions(start, end) or (self.asked_about and reading.asks_about(start, end))


def family(name: str, *patterns: str, asked_about: bool = False) -> PatternFamily:
    return PatternFamily(name, tuple(re.compile(p, _FLAGS) for p in patterns), asked_about)


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
    found: dict[str, dict[str, None]] = {}
    prefilter = _any_family(families)
    source = normalise(text, _words(families))
    for version, origin in ((text, None), (source.text, source)) if source.text != text else ((text, None),):
        if not prefilter.matches(version):
            continue
        reading = Reading(version)
        for fam in families:
            if fam.any_of.search(version) is None:
                continue
            for hit in fam._find(reading, origin, questions=questions):
                found.setdefault(fam.name, {})[hit] = None
    return {name: list(hits) for name, hits in found.items() if hits}
