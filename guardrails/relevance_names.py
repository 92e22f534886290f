"""Latin-script names in a Chinese question: what the relevance guardrail weighs up when the corpus lacks them.

In Chinese text the Latin script is kept for names, identifiers and units (vLLM, Redis, WSL2, k8s, 8G), so a
Latin word of a Chinese question that the corpus never uses names a thing the documents never mention: the
question is about something else, however many everyday words it shares with them ("PostgreSQL 默认端口是多少").
In English the same test says nothing (every word is Latin), and a number with its unit ("16g", "0%") or a single
letter ("N 卡", "D 盘") is not a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from guardrails.text import has_cjk

# Starts with a letter and has at least two characters: "vllm", "wsl2", "k8s", "gpt-4o", "d_k"; not "8g", "n", "0%".
_NAME_RE = re.compile(r"[a-z][a-z0-9._+\-]*[a-z0-9]", re.IGNORECASE)


def latin_names(question: str, lacking: Iterable[str]) -> tuple[str, ...]:
    """The words of `lacking` (the question's words the corpus does not use) that are Latin-script names, when the
    question is Chinese; () for a question without Chinese characters."""
    if not has_cjk(question):
        return ()
    return tuple(word for word in lacking if _NAME_RE.fullmatch(word))
