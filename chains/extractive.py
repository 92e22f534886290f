"""Extractive fallback, the last rung before "cannot answer": the best-matching sentences of the top
chunks, quoted verbatim with citations (only markdown's list marks and **bold** marks removed; no heading path). No
model involved, so it cannot invent anything.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chains.context import TRUNCATION_MARK
from guardrails import Chunk
from guardrails.text import content_terms

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+|\n+")
# a heading's #, a list's mark or a quote's > opening the sentence: a mark needs the space after it, or "-1 means no
# limit", "1.5 GB" and "**Note:**" lost their sign, their "1." and an asterisk
_MARKDOWN_NOISE = re.compile(r"^\s*(?:(?:#+|[-*+]|\d+[.)])\s+|>+\s*)")


@dataclass(frozen=True)
class Extract:
    sentences: tuple[tuple[str, Chunk], ...]
    overlap: float

    @property
    def text(self) -> str:
        return " ".join(s for s, _ in self.sentences)

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        seen: dict[str, Chunk] = {}
        for _, chunk in self.sentences:
            seen.setdefault(chunk.chunk_id, chunk)
        return tuple(seen.values())


# a **bold** pair, not inside a word (ASCII: CJK text runs bold into its words); f(**kwargs), 2**10 are text
_STRONG = re.compile(r"(?<![A-Za-z0-9_*])\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*(?![A-Za-z0-9_*])")
_CODE_SPAN = re.compile(r"(`+).+?\1")  # `...`: kept as written (`**kwargs`, `__init__.py`)
_ENDS_SENTENCE = tuple(".。!?！？:：;；")


def _body(text: str) -> str:
    """The chunk's text without the heading path the chunker writes on its first line ("Install > Linux"): as a
    quote it shares the question's words and often won, so a fallback answer opened with a breadcrumb. The rule
    is answer_relevance's (a first line with " > ", or short and unpunctuated with text after it)."""
    first, sep, rest = text.partition("\n")
    line = first.strip()
    if sep and rest.strip() and (" > " in line or (len(line) <= 80 and not line.endswith(_ENDS_SENTENCE))):
        return rest
    return text


def _unbolded(text: str) -> str:
    """`text` without its **bold** marks, code spans as written. Only ** pairs go: __ is as often a Python name's
    (`__init__.py`, MAX__SIZE) as emphasis, and removing every ** and __ quoted "init.py" for "__init__.py"."""
    out, at = [], 0
    for span in _CODE_SPAN.finditer(text):
        out += [_STRONG.sub(r"\1", text[at : span.start()]), span.group()]
        at = span.end()
    return "".join([*out, _STRONG.sub(r"\1", text[at:])])


def _sentences(chunk: Chunk) -> list[str]:
    """Quotable sentences: markdown's list marks and **bold** marks removed (the UI escapes document text, so
    they would show as literal asterisks), at least 8 and at most 400 characters. Not the last one of a chunk the
    context budget truncated: it was quoted cut off ("To unload a model at once, set keep_ …")."""
    out = []
    parts = _SENTENCE_END.split(_body(chunk.text))
    for part in parts[:-1] if chunk.text.endswith(TRUNCATION_MARK) else parts:
        cleaned = _unbolded(_MARKDOWN_NOISE.sub("", part or "")).strip()
        if 8 <= len(cleaned) <= 400:
            out.append(cleaned)
    return out


def extract_answer(
    question: str,
    chunks: Sequence[Chunk],
    *,
    max_sentences: int = 2,
    min_overlap: float = 0.15,
    keep: Callable[[str, Chunk], bool] | None = None,
) -> Extract | None:
    """Pick the sentences sharing the most content terms with the question (ties: higher-ranked chunk), among
    those `keep` accepts (all by default). None when nothing overlaps enough to be worth showing."""
    wanted = content_terms(question)
    if not wanted:
        return None
    scored: list[tuple[float, int, str, Chunk]] = []
    for rank, chunk in enumerate(chunks):
        for sentence in _sentences(chunk):
            overlap = len(wanted & content_terms(sentence)) / len(wanted)
            if overlap > 0:
                scored.append((overlap * (0.5 + 0.5 * chunk.score), -rank, sentence, chunk))
    if not scored:
        return None
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    kept = (item for item in scored if keep is None or keep(item[2], item[3]))  # lazily: `keep` may cost a check
    picked = list(itertools.islice(kept, max_sentences))
    if not picked or picked[0][0] < min_overlap:
        return None
    best = picked[0][0]
    return Extract(sentences=tuple((s, c) for _, _, s, c in picked), overlap=best)
