"""Names among the words a question shares with no document: what the relevance guardrail weighs up.

In Chinese text the Latin script is kept for names, identifiers and units (vLLM, Redis, WSL2, k8s, 8G), so a
Latin word of a Chinese question that the corpus never uses names a thing the documents never mention: the
question is about something else, however many everyday words it shares with them ("PostgreSQL 默认端口是多少").
A number with its unit ("16g", "0%") or a single letter ("N 卡", "D 盘") is not a name.

In English every word is Latin, so only a word's written form marks a name: inner capitals (PostgreSQL, FastAPI,
cuDNN, vLLM), an acronym in capitals (AWS, CUDA), letters mixed with digits (WSL2, k8s, gpt-4o). A capital that
starts a word ("Redis", "How"), an all-lowercase word ("zshrc", "multi-paragraph") and a question in capitals
throughout mark nothing. A question that also names a thing the corpus does name, written as a name inside the
sentence ("I call Ollama from LangChain"), is about that thing in the other's setting: no name counts. The coverage
signal's words are casefolded, so the casing is read from the question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from guardrails.text import has_cjk

# Starts with a letter and has at least two characters: "vllm", "wsl2", "k8s", "gpt-4o", "d_k"; not "8g", "n", "0%".
_NAME_RE = re.compile(r"[a-z][a-z0-9._+\-]*[a-z0-9]", re.IGNORECASE)
_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+\-]*")  # a Latin-script token as written, identifiers whole
_PART_SEP = re.compile(r"[._+\-]+")  # an identifier's parts, as the index cuts it ("llama.cpp" -> "llama", "cpp")
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")  # PostgreSQL, cuDNN, vLLM, iPhone
_LETTERS_AND_DIGITS = re.compile(r"[A-Za-z].*[0-9]|[0-9].*[A-Za-z]")


def latin_names(question: str, lacking: Iterable[str]) -> tuple[str, ...]:
    """The words of `lacking` (the question's words the corpus does not use, casefolded) that name a thing: each
    Latin-script word of a Chinese question; a word of another question that is written as a name."""
    if has_cjk(question):
        return tuple(word for word in lacking if _NAME_RE.fullmatch(word))
    lacking = tuple(lacking)
    written = _written_forms(question)
    if any(word not in lacking and _names_a_thing(question, word, forms) for word, forms in written.items()):
        return ()  # it names a thing the documents name too: the unknown one is its setting ("Ollama from LangChain")
    return tuple(word for word in lacking if _NAME_RE.fullmatch(word) and any(_is_name(form) for form in written.get(word, ())))


def _names_a_thing(question: str, word: str, forms: set[str]) -> bool:
    """A word written as a proper name inside the sentence: a capital not at the sentence's start ("with Ollama",
    "in Docker"), or inner capitals / letters with digits; an acronym alone (GPU, API) names a kind, not a thing."""
    for form in forms:
        if len(form) < 2 or not form[0].isalpha():
            continue
        if _INNER_CAPITAL.search(form) or (_LETTERS_AND_DIGITS.search(form) and not form.isupper()):
            return True
        if form[0].isupper() and form[1:].islower() and not _starts_sentence(question, form):
            return True
    return False


def _starts_sentence(question: str, form: str) -> bool:
    return all(re.search(r"(^|[.!?:;]\s+)$", question[: m.start()]) for m in re.finditer(rf"\b{re.escape(form)}\b", question))


def _written_forms(question: str) -> dict[str, set[str]]:
    """Each Latin-script token of `question` and each of its parts, casefolded -> the forms it is written in; no
    casing at all when the question has no lowercase letter (capitals throughout mark nothing)."""
    text = unicodedata.normalize("NFKC", question)
    shouted = not any(ch.islower() for ch in text)
    forms: dict[str, set[str]] = {}
    for token in _TOKEN_RE.findall(text):
        token = token.strip("._+-")
        for piece in {token, *_PART_SEP.split(token)}:
            if piece:
                forms.setdefault(piece.casefold(), set()).add(piece.casefold() if shouted else piece)
    return forms


def _is_name(form: str) -> bool:
    """Written as a name: inner capitals, two or more letters all in capitals, or letters mixed with digits."""
    letters = [ch for ch in form if ch.isalpha()]
    acronym = len(letters) >= 2 and all(ch.isupper() for ch in letters)
    return bool(_INNER_CAPITAL.search(form)) or acronym or bool(_LETTERS_AND_DIGITS.search(form))
