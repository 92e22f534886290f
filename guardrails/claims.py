"""Names an answer asserts that its passage must contain: identifiers, and acronyms within one language.

Pure policy layer (stdlib), used by the grounding guardrail. A token overlap cannot judge a name the passage
never uses (`--runtime=metal`, `/etc/ollama/config.yaml`, `ONNX` for `GGUF`): one unknown name among many
shared words still overlaps well.
"""

from __future__ import annotations

import re
from functools import lru_cache

from guardrails.text import cjk_letters, has_cjk, normalize, squash, strip_code_fences

# Identifiers a paraphrase cannot translate: names with _ : / . or digits (OLLAMA_HOST, qwen2.5:3b,
# /etc/ollama/config.yaml, llama3), and command-line flags (--gpus=all, --privileged). A hyphen inside a name
# belongs to it (deepseek-r1:7b, qwen2.5-coder:7b, bge-m3), as it already did after a digit (llama3-gradient).
_IDENT_RE = re.compile(
    r"(?<![\w./-])(?:--?[a-z][\w-]*(?:=[\w.:/-]+)?|/[\w.-]+(?:/[\w.-]+)+"
    r"|[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?:[_:/.][A-Za-z0-9_]+(?:-[A-Za-z0-9]+)*)+|[A-Za-z]+(?:-[A-Za-z]+)*\d[\w.:-]*)",
    re.ASCII,  # \w is ASCII: a name written against Chinese text is still a name, and ends where its Latin ends
)
_ACRONYM_RE = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{2,}(?![\w-])", re.ASCII)


# Dotted single letters are abbreviations a paraphrase adds freely (e.g., i.e., U.S., a.m.), not names.
_ABBREVIATION_RE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")


def identifiers(text: str) -> list[str]:
    """Identifier-like tokens of `text`, trailing punctuation dropped, in order, distinct."""
    found = (m.rstrip(".:-/") for m in _IDENT_RE.findall(strip_code_fences(text)))
    return list(dict.fromkeys(m for m in found if not _ABBREVIATION_RE.fullmatch(m)))


def same_language(answer: str, support: str) -> bool:
    """Both mostly Chinese or both mostly not: only then must names and acronyms be copied, not translated. The
    answer's language is that of its own words: Latin words the passage also uses (Ollama, Open WebUI, HTTP API)
    are names it copied, and do not make "Ollama 通过 HTTP API 调用 Open WebUI" an English sentence next to a
    Chinese passage."""
    if _mostly_cjk(answer) == _support_mostly_cjk(support):
        return True
    names = _support_words(support)
    own = _LATIN_WORD_RE.sub(lambda m: " " if m.group().lower() in names else m.group(), answer)
    return _support_mostly_cjk(support) and _mostly_cjk(own)


_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@lru_cache(maxsize=1024)
def _support_words(text: str) -> frozenset[str]:
    return frozenset(m.group().lower() for m in _LATIN_WORD_RE.finditer(text))


@lru_cache(maxsize=1024)  # a character loop over whole passages, which come back answer after answer
def _support_mostly_cjk(text: str) -> bool:
    return _mostly_cjk(text)


@lru_cache(maxsize=1024)  # likewise: the passages an answer is checked against recur
def squashed_passage(text: str) -> str:
    """squash() of a passage, memoised."""
    return squash(text)


@lru_cache(maxsize=1024)
def normalized_passage(text: str) -> str:
    """normalize() of a passage, memoised."""
    return normalize(text)


def _mostly_cjk(text: str) -> bool:
    letters = sum(map(str.isalpha, text))
    return bool(letters) and cjk_letters(text) / letters >= 0.3


def unsupported_names(answer: str, support: str) -> list[str]:
    """Identifiers, and (when answer and support share a language) acronyms such as ONNX or PROMPT, of the
    answer that the support never contains."""
    passage = normalized_passage(support)
    names = identifiers(answer)
    if same_language(answer, support) and has_cjk(answer) == has_cjk(support):
        names += [a for a in _ACRONYM_RE.findall(strip_code_fences(answer)) if a not in names]
    return [n for n in dict.fromkeys(names) if not _name_within(normalize(n), passage)]


def _name_within(name: str, passage: str) -> bool:
    """`name` in the normalized passage as a whole name: "OLLAMA_HOST" is not in "OLLAMA_HOSTS", "OLLAMA_KEEP" not in
    "OLLAMA_KEEP_ALIVE". Only an end made of a word character needs a boundary ("/api/chat" is in
    "localhost:11434/api/chat"), and a boundary is any character but an ASCII letter, digit or underscore, so a
    name written against Chinese text (设置OLLAMA_HOST可以) still counts."""
    start = r"(?<![a-z0-9_])" if re.match(r"[a-z0-9_]", name) else ""
    end = r"(?![a-z0-9_])" if re.search(r"[a-z0-9_]$", name) else ""
    return re.search(start + re.escape(name) + end, passage) is not None
