"""What the CLI prints goes through TerminalSafe: control characters become visible escapes, never terminal
commands. CLI layer.

Answers quote documents verbatim (the extractive fallback), traces hold questions that came from anyone who can
reach `guarded-rag serve`, and reasons quote both. A document containing ESC [2J cleared the screen of whoever ran
`guarded-rag ask`; OSC sequences can set the window title, plant hyperlinks or, in some terminals, write the
clipboard. So every C0 control but newline and tab, DEL, every C1 control and the bidirectional overrides is
written as a `\\uXXXX` escape: readable on a terminal, and in --json output a valid JSON escape that decodes to
the same string (json.dumps already escapes C0 controls, so the contract's values do not change). A carriage
return, which could overwrite a line to spoof what it says, is written as `\\r`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO, cast

from app import BIDI_CONTROLS

_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS]  # bidi: app/bidi.py
_TABLE = {c: f"\\u{c:04x}" for c in _CONTROLS if chr(c) not in "\n\t"} | {ord("\r"): "\\r"}


def printable(text: str) -> str:
    """`text` with its control characters written as escapes (for messages printed outside TerminalSafe)."""
    return text.translate(_TABLE)


def _escape(char: str) -> str:
    """`char` as a JSON escape (a surrogate pair beyond the BMP): valid inside a --json string, readable as text."""
    units = char.encode("utf-16-be", errors="surrogatepass")
    return "".join(f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2))


def encodable(text: str, encoding: str | None) -> str:
    """`text` with what `encoding` cannot encode written as `\\uXXXX` escapes: a Chinese answer on a stdout that is
    ASCII (PYTHONIOENCODING=ascii, a Latin-1 locale) failed with UnicodeEncodeError and printed nothing. The same
    escapes as the control characters': readable, and in --json output valid JSON with the same value."""
    if not encoding:
        return text  # an in-memory stream takes any str
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return "".join(c if _encodes(c, encoding) else _escape(c) for c in text)
    except LookupError:
        return text  # an encoding Python does not know: the stream itself will say so
    return text


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def one_line(text: str) -> str:
    """`text` as one line: a name or question printed inside a line of our own (a file name can hold a newline,
    and one printed raw would start a line of its own, e.g. a fake "guardrail fired" line). A tab and the Unicode
    line and paragraph separators (which `str.splitlines` splits on) are written as escapes too, as every control
    character is: a column of a row printed from a store holds whatever an import or an older version put there."""
    return printable(text).replace("\n", "\\n").translate(_SEPARATORS)


_SEPARATORS = {ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"}


class TerminalSafe:
    """Wraps the stream the commands write to; everything else is passed through to it."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        return self._inner.write(encodable(printable(text), getattr(self._inner, "encoding", None)))

    def writelines(self, lines: Iterable[str]) -> None:  # passed through, it skipped the escapes above
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def terminal_safe(stream: TextIO) -> TextIO:
    return stream if isinstance(stream, TerminalSafe) else cast(TextIO, TerminalSafe(stream))


def say(message: str) -> None:
    """Write to stderr (errors, waiting notes), control characters escaped: messages quote file names, other
    processes' command lines and exceptions, and tqdm's bars (which need their carriage returns) go there too."""
    sys.stderr.write(printable(message))


def event_line(e: Any) -> str:
    """One trace event (a chains TraceEvent) as one indented line: `traces show` and `ask --trace`."""
    step, name, outcome = one_line(e.step), one_line(e.name), one_line(e.outcome)  # an imported trace's, as written
    return f"  {e.seq:>2} {step:<10} {name:<20} {outcome:<8} {e.duration_ms:7.1f} ms  {one_line(e.reason[:120])}\n"
