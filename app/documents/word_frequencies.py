"""Word frequencies by language, from wordfreq's small lists (words seen at least once per million; data CC BY-SA
4.0, code Apache-2.0), read once per process and shared by every user: the coverage signal's word specificity
(app/signals/specificity.py, English and Chinese) and the decoding of short files that are not UTF-8
(app/documents/cjk_legacy.py, Chinese, Japanese and Korean). Reading a list takes about a quarter second and its
dict some 10 MB, so each is read on first use, not at import, and never twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType


@cache
def log_frequencies(lang: str) -> Mapping[str, float]:
    """log10 of each listed word's frequency in `lang` ("the" -2.3; rarer than once per million: not listed).
    Read-only: one mapping per language serves every caller."""
    import wordfreq  # deferred: the lists take a quarter second to read, and most requests need none

    listed = wordfreq.get_frequency_dict(lang, wordlist="small")
    return MappingProxyType({word: math.log10(freq) for word, freq in listed.items() if freq > 0})
