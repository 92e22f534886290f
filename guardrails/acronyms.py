"""An acronym of an answer read as the passage's words it abbreviates ("OS" for "operating system"), when the
passage never writes it: so that alignment.py sees an answer sentence restate its passage sentence as clearly as its
words do, and claims.py does not take a spelled-out name for a new one.

Pure policy layer (stdlib).
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.text import content_terms

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
