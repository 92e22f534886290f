"""English index stems: Snowball (Porter 2), plus the forms of one word it leaves apart.

App layer, beside terms.py (its only user), so the lexical index and the question-coverage signal stem alike.
Snowball keeps a final "s" after a word with no vowel or ending in "us", so an acronym's plural stayed a word of
its own ("LLMs" -> "llms", "GPUs" -> "gpus", not "llm", "gpu") and a question saying "LLM" counted as a word the
corpus never uses. It also keeps British -ise/-isation apart from -ize/-ization ("quantisation" -> "quantis",
"quantization" -> "quantiz"), and the whole of a hyphenated compound was not stemmed at all ("super-blocks").
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

# An acronym's plural once casefolded: consonants only ("llms", "sdks", "pdfs") or consonants then "u" ("gpus",
# "cpus"), at least three letters before the "s". Shorter ones are mostly acronyms whose S is a word (DNS, GPS,
# SMS, TLS), and "ls", "ps", "vs" are words of their own.
_ACRONYM_PLURAL = re.compile(r"(?:[b-df-hj-np-tv-xz]{3,}|[b-df-hj-np-tv-xz]{2,}u)(?<!s)s")
# Words of that shape whose "s" is not a plural: another word's stem would take them over.
_NOT_PLURAL = frozenset({"https", "ftps", "hdfs", "plus", "thus"})
# British -ise, -ised, -ises, -ising, -isation(s) after at least three letters ("quantise", "penalises"): spelt
# -ize before stemming. Shorter stems ("raise", "noise", "prise") are other words.
_BRITISH = re.compile(r"(?<=[a-z]{3})is(e|es|ed|ing|ation|ations)\Z")


@cache
def _stemmer() -> Any:
    import snowballstemmer  # deferred with the rest of the lexical machinery

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)  # a corpus's vocabulary is small; stemming is the slow part of cutting English
def stem(token: str) -> str:
    """The index term of a casefolded ASCII token: a plain word's stem ("retrieving"/"retrieval" ~ "retriev",
    "LLMs" ~ "llm", "quantisation" ~ "quantization"); a hyphenated compound with its last part stemmed
    ("super-blocks" ~ "super-block"). Identifiers and numbers (anything with a digit, underscore or dot) stay
    whole: they match exactly or not at all."""
    if token.isalpha():
        return _word(token)
    head, _, last = token.rpartition("-")
    if head and last.isalpha() and all(part.isalpha() for part in head.split("-")):
        return f"{head}-{_word(last)}"
    return token


def _word(word: str) -> str:
    word = _BRITISH.sub(r"iz\1", word)
    stemmed = str(_stemmer().stemWord(word))
    if stemmed == word and word not in _NOT_PLURAL and _ACRONYM_PLURAL.fullmatch(word):
        return word[:-1]
    return stemmed
