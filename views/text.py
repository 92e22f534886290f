"""View layer: pure text helpers for rendering untrusted text (model output, documents, file names) safely.

No Streamlit here, so every function is unit-testable. Nothing untrusted is ever rendered as HTML: markdown
is neutralised by backslash-escaping every ASCII punctuation character (CommonMark allows it for all).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app import BIDI_CONTROLS

_PUNCT = frozenset(string.punctuation)
_WORD = re.compile(r"[A-Za-z0-9_]{3,}|[\u4e00-\u9fff]")
# A sentence ends at CJK 。！？, a newline, or . ! ? followed by a space or the end ("127.0.0.1" stays whole).
_SENTENCE = re.compile(r"(?:[^.!?。！？\n]|[.!?](?=[^\s.!?]))+(?:[.!?]+(?=\s|$)|[。！？]+)?")
# remark-gfm turns bare URLs and e-mail addresses into links *after* escapes are resolved, so escaping
# cannot stop it: a zero-width space breaks the pattern ("http:\u200b//", "www\u200b.", "a@\u200bb").
_AUTOLINK = re.compile(r"(?i)(?<=\bhttps:)(?=//)|(?<=\bhttp:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)")
_ZWSP = "\u200b"
# A browser obeys the bidirectional controls (app/bidi.py): they are shown as visible escapes, as the CLI does.
_BIDI = {c: f"\\u{c:04x}" for c in BIDI_CONTROLS}
_ANSWER_KEY = re.compile(r'"answer"\s*:\s*"')
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "are",
        "was",
        "with",
        "that",
        "this",
        "from",
        "you",
        "your",
        "can",
        "not",
        "has",
        "have",
        "which",
        "what",
        "does",
        "into",
    ]
)


def visible_bidi(text: str) -> str:
    """`text` with its bidirectional controls written as escapes ("\\u202e"), for st.code and table cells."""
    return text.translate(_BIDI)


def visible_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Table rows (for st.dataframe) with `visible_bidi` applied to every text cell; other cells unchanged."""
    return [{k: visible_bidi(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows]


def visible_json(value: Any) -> Any:
    """A JSON value (for st.json) with `visible_bidi` applied to every string in it, keys included."""
    if isinstance(value, str):
        return visible_bidi(value)
    if isinstance(value, dict):
        return {visible_json(k): visible_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [visible_json(v) for v in value]
    return value


def _escape(text: str) -> str:
    text = _AUTOLINK.sub(_ZWSP, visible_bidi(text))
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in text)


def _lines(markdown: str) -> str:
    # Leading spaces would start a code block; single newlines would be joined: make them hard breaks.
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "  \n".join(line.strip(" \t") for line in lines)


def safe_md(text: str | None) -> str:
    """Markdown that displays `text` literally: no links, images, HTML, emphasis, LaTeX or `:color[]` tags.

    Newlines stay visible (hard breaks); leading spaces cannot start a code block.
    """
    return _lines(_escape(str(text))) if text else ""


def terms(text: str | None) -> set[str]:
    """Content words (latin, 3+ chars, lower-cased) and single CJK characters of `text`."""
    return {t.lower() for t in _WORD.findall(text or "") if t.lower() not in _STOP}


def sentences(text: str) -> list[str]:
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0).strip()]


def highlight_md(text: str, answer: str | None, *, min_coverage: float = 0.5) -> str:
    """Safe markdown of `text` with the sentence that best supports `answer` in bold.

    The best sentence covers the largest share of the answer's content words (ties: the denser one); it is
    bold when that share is at least `min_coverage`. Pieces are escaped first, then wrapped in `**` (with
    hair spaces so CommonMark's flanking rules hold next to CJK punctuation): bolding cannot unescape anything.
    """
    wanted = terms(answer)
    parts = sentences(text) if text else []
    if not wanted or not parts:
        return safe_md(text)
    scores = []
    for part in parts:
        own = terms(part)
        shared = len(own & wanted)
        scores.append((shared / len(wanted), shared / max(1, len(own))))
    best = max(scores)
    out: list[str] = []
    last = 0
    for part, score in zip(parts, scores, strict=False):
        start = text.index(part, last)
        out.append(_escape(text[last:start]))
        core = part.strip()
        if best[0] >= min_coverage and score == best and core:
            lead = part[: len(part) - len(part.lstrip())]
            out.append(f"{lead}\u200a**{_escape(core)}**\u200a")
        else:
            out.append(_escape(part))
        last = start + len(part)
    out.append(_escape(text[last:]))
    return _lines("".join(out))


def partial_answer(buffer: str) -> str | None:
    """The (possibly unfinished) value of "answer" in a streaming JSON object, or None before it starts.

    Tokens arrive as JSON fragments of {"answer": "...", ...}; this decodes the string so far and drops a
    trailing half escape sequence.
    """
    stream = AnswerStream()
    stream.feed(buffer)
    return stream.text


class AnswerStream:
    """The "answer" of a streaming JSON reply, decoded as its tokens arrive (what `partial_answer` gives for the
    whole buffer). Each character is read once: decoding the whole buffer again for every token was quadratic,
    36 s of CPU inside the model's token loop for an 8,192-token answer."""

    def __init__(self) -> None:
        self.buffer = ""
        self._start: int | None = None  # where the answer's string begins in the buffer, once seen
        self._pos = 0  # the next character of the answer string to decode
        self._chars: list[str] = []
        self._closed = False

    @property
    def text(self) -> str | None:
        return None if self._start is None else "".join(self._chars)

    def feed(self, token: str) -> None:
        self.buffer += token
        if self._start is None:
            match = _ANSWER_KEY.search(self.buffer)  # in C, and only until the key is seen
            if match is None:
                return
            self._start = self._pos = match.end()
        self._decode()

    def _decode(self) -> None:
        buffer, i = self.buffer, self._pos
        while i < len(buffer) and not self._closed:
            ch = buffer[i]
            if ch == '"':
                self._closed = True
                break
            if ch == "\\":
                esc = buffer[i : i + 6] if buffer[i + 1 : i + 2] == "u" else buffer[i : i + 2]
                if (esc[1:2] == "u" and len(esc) < 6) or len(esc) < 2:
                    break  # incomplete escape at the end of the buffer: decoded when the rest arrives
                try:
                    self._chars.append(json.loads(f'"{esc}"'))
                except ValueError:
                    self._chars.append(esc[1:])
                i += len(esc)
                continue
            self._chars.append(ch)
            i += 1
        self._pos = i


def repair_diff(raw: str | None, repaired: str | None) -> str:
    """Unified diff of the model's raw output against the text the parse ladder repaired it to ('' if none)."""
    if raw is None or repaired is None or raw == repaired:
        return ""
    diff = difflib.unified_diff(
        raw.splitlines(), repaired.splitlines(), fromfile="raw model output", tofile="repaired", lineterm=""
    )
    return "\n".join(diff)


def error_text(exc: BaseException, *, hide: Callable[[str], str] | None = None, limit: int = 300) -> str:
    """'Type: message' of an error, for the page: `hide` (GuardedRAG.hide_paths) names the server's folders as
    people know them, then the message is cut to `limit` characters (cut first, a path could stay half shown)."""
    message = str(exc)
    if hide is not None:
        with contextlib.suppress(Exception):  # the service is what failed: its message is shown as it is
            message = hide(message)
    return f"{type(exc).__name__}: {message[:limit]}"


def short_id(trace_id: str) -> str:
    return trace_id[:12]
