"""Errors as a user reads them: one short, clean line, whatever the server (or a proxy in front of it) sent.

ollama.ResponseError carries the whole body of a failed reply: an HTML error page, a stack dump, megabytes. Shown
verbatim it buried the message a user could act on under markup. Messages (the CLI, the UI, `--json`, the HTTP API,
doctor) get `short_error`; the trace keeps the text itself (capped by chains.trace).
"""

from __future__ import annotations

import html
import re
import unicodedata

ERROR_LINE_CHARS = 200  # the longest error line a message shows (the trace keeps more)
_SCAN_CHARS = 64 * 1024  # only the start of a huge body is looked at: the title and first line are there

_LOOKS_HTML = re.compile(r"<\s*(?:!doctype|html|head|body|title|h1|h2|p|div|center|pre)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_BLOCK_TAG = re.compile(r"</?\s*(?:p|div|br|hr|h[1-6]|li|tr|pre|center|title|body|html|table)\b[^<>]*>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def clean_error_text(text: str, *, limit: int = ERROR_LINE_CHARS) -> str:
    """The first line worth reading of an error text: an HTML page's title (else its heading, else its first line of
    text), tags stripped, entities decoded, control and bidi characters and runs of spaces made single spaces, at
    most `limit` characters ("…" at the end when cut). Empty when there is nothing to read."""
    text = text[:_SCAN_CHARS]
    if _LOOKS_HTML.search(text):
        named = next((m.group(1) for m in (_TITLE.search(text), _HEADING.search(text)) if m and _plain(m.group(1))), None)
        text = _plain(named) if named is not None else _plain(_HIDDEN.sub("\n", text), lines=True)
    line = next((one for one in (_one_line(part) for part in text.splitlines()) if one), "")
    return line if len(line) <= limit else line[: max(0, limit - 1)].rstrip() + "…"


def short_error(exc: BaseException, *, limit: int = ERROR_LINE_CHARS) -> str:
    """An exception as one short line for a user, in its own words: the HTTP status when it carries one
    (ollama.ResponseError, httpx.HTTPStatusError), then the first line of its text, cleaned (`clean_error_text`);
    its type's name when it says nothing."""
    status = _http_status(exc)
    detail = getattr(exc, "error", None)  # ollama.ResponseError: the body (its str() appends the status code)
    line = clean_error_text(detail if isinstance(detail, str) else str(exc), limit=limit) or type(exc).__name__
    return f"HTTP {status}: {line}" if status else line


def _plain(markup: str, *, lines: bool = False) -> str:
    """Markup as text: tags removed (a block's a line break when `lines`), entities decoded, tags again (a decoded
    `&lt;b&gt;` is text that looks like a tag, and the line must not carry one)."""
    text = _TAG.sub(" ", _BLOCK_TAG.sub("\n", markup) if lines else markup)
    return _TAG.sub(" ", html.unescape(text))


def _one_line(text: str) -> str:
    kept = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)
    return _SPACES.sub(" ", kept).strip()


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status an exception carries (ollama.ResponseError.status_code, -1 for an error line inside a stream;
    httpx.HTTPStatusError.response), when it is one."""
    code = getattr(exc, "status_code", None)
    if not isinstance(code, int):
        try:
            code = getattr(getattr(exc, "response", None), "status_code", None)
        except RuntimeError:  # httpx raises it for a response or request that was never set
            code = None
    return code if isinstance(code, int) and 100 <= code <= 599 else None
