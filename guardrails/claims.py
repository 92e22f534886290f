"""What an answer asserts that its passage must back: identifiers, acronyms, and the polarity of shared words.

Pure policy layer (stdlib), used by the grounding guardrail. Each helper finds one kind of claim a token
overlap cannot judge: a name the passage never uses (`--runtime=metal`, `ONNX` for `GGUF`), or a word the
passage only ever negates while the answer affirms it ("Yes, Ollama ships with built-in authentication"
against "Ollama has no built-in authentication"), or the other way round.
"""

from __future__ import annotations

import re

from guardrails.text import STOPWORDS_EN, has_cjk, is_cjk, normalize, squash, strip_code_fences

# Identifiers a paraphrase cannot translate: names with _ : / . or digits (OLLAMA_HOST, qwen2.5:3b,
# /etc/ollama/config.yaml, llama3), and command-line flags (--gpus=all, --privileged).
_IDENT_RE = re.compile(
    r"(?<![\w./-])(?:--?[a-z][\w-]*(?:=[\w.:/-]+)?|/[\w.-]+(?:/[\w.-]+)+|[A-Za-z][A-Za-z0-9]*(?:[_:/.][A-Za-z0-9_]+)+|[A-Za-z]+\d[\w.:-]*)"
)
_ACRONYM_RE = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]{2,}(?![\w-])")
_WORD_RE = re.compile(r"[a-z][a-z0-9_'-]*")
_CLAUSE_RE = re.compile(r"[,.;:!?()\[\]，。；：！？、（）\n]+")
# "X rather than Y", "Y instead": both deny what follows them in the clause.
NEGATIONS_EN = frozenset(
    {"no", "not", "never", "without", "cannot", "can't", "don't", "doesn't", "isn't", "won't", "nor", "rather", "instead"}
)
_WINDOW = 3  # a negation counts for the next three content words of its clause


def identifiers(text: str) -> list[str]:
    """Identifier-like tokens of `text`, trailing punctuation dropped, in order, distinct."""
    return list(dict.fromkeys(m.rstrip(".:-/") for m in _IDENT_RE.findall(strip_code_fences(text))))


def same_language(answer: str, support: str) -> bool:
    """Both mostly Chinese or both mostly not: only then must names and acronyms be copied, not translated."""
    return _mostly_cjk(answer) == _mostly_cjk(support)


def _mostly_cjk(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(is_cjk(c) for c in letters) / len(letters) >= 0.3


def unsupported_names(answer: str, support: str) -> list[str]:
    """Identifiers, and (when answer and support share a language) acronyms such as ONNX or PROMPT, of the
    answer that the support never contains."""
    flat = squash(support)
    names = identifiers(answer)
    if same_language(answer, support) and has_cjk(answer) == has_cjk(support):
        names += [a for a in _ACRONYM_RE.findall(strip_code_fences(answer)) if a not in names]
    return [n for n in dict.fromkeys(names) if squash(n) not in flat]


def _polarities(text: str) -> dict[str, set[bool]]:
    """English content word -> the polarities it occurs with (True = within three content words after a
    negation in the same clause). A lone "No," answering the question negates nothing after it."""
    seen: dict[str, set[bool]] = {}
    for clause in _CLAUSE_RE.split(normalize(strip_code_fences(text))):
        left = 0
        for word in _WORD_RE.findall(clause):
            if word in NEGATIONS_EN:
                left = _WINDOW
                continue
            if word in STOPWORDS_EN:
                continue
            seen.setdefault(word, set()).add(left > 0)
            left = max(0, left - 1)
    return seen


def polarity_conflicts(answer: str, support: str) -> list[str]:
    """English words the answer uses with one polarity and the support only ever with the other (the
    support must use the word, always negated or never), e.g. ["built-in"] for an affirmed feature the
    passage denies. Only between texts of one language, and Chinese negation is not judged (a character
    window would misread 不过, 无论), so this reads English answers to English passages."""
    if not same_language(answer, support):  # the other language's negations are not read
        return []
    mine, theirs = _polarities(answer), _polarities(support)
    return [w for w, p in mine.items() if len(p) == 1 and len(theirs.get(w, ())) == 1 and p != theirs[w]]
