"""A pattern family: a named group of regexes for one attack technique, and the scan that runs families over a
text and over its de-obfuscated variant (deobfuscate.py).

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

    def find(self, text: str, original: str | None = None) -> list[str]:
        """The matched snippets, in order of the patterns. When `text` is a de-obfuscated variant of `original`,
        each snippet is the part of `original` it came from (the user's own words, not the normalised ones)."""
        if self.any_of.search(text) is None:
            return []
        hits: list[str] = []
        for pattern in self.patterns:
            for match in pattern.finditer(text):
                quoted = match.group(0) if original is None else original_of(original, text, *match.span())
                snippet = " ".join(quoted.split())
                if snippet and snippet not in hits:
                    hits.append(snippet)
        return hits


def family(name: str, *patterns: str) -> PatternFamily:
    return PatternFamily(name, tuple(re.compile(p, _FLAGS) for p in patterns))


@lru_cache(maxsize=16)  # keyed by the (immutable, module-level) family tuples: a handful per process
def _any_family(families: tuple[PatternFamily, ...]) -> Prefilter:
    """Every family's patterns as one prefilter: it tells benign text (nearly all of it) apart."""
    return build((p.pattern for fam in families for p in fam.patterns), _FLAGS)


def scan(text: str, families: tuple[PatternFamily, ...]) -> dict[str, list[str]]:
    """family name -> matched snippets, for the families that match (empty dict: nothing matched). The text is
    scanned as written and, when it differs, de-obfuscated ("I g n o r e", "1gn0re", "忽-略", Traditional)."""
    found: dict[str, list[str]] = {}
    prefilter = _any_family(families)
    for version in variants(text):
        if not prefilter.matches(version):
            continue
        for fam in families:
            for hit in fam.find(version, original=text):
                if hit not in found.setdefault(fam.name, []):
                    found[fam.name].append(hit)
    return {name: hits for name, hits in found.items() if hits}
