"""A file that starts with a UTF-16 (or UTF-32) byte-order mark, or has UTF-16's NUL pattern without one, but is
not valid in that encoding: ingest said it was "neither UTF-8 nor Chinese GB18030", the wrong encodings to look at.
Now it names the byte-order mark (or pattern), what is wrong and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.documents.decoding import decode
from app.documents.encoding_hint import encoding_hint
from app.documents.load_types import LoadProblem
from app.documents.loaders import load_document

CASES = [
    (
        "UTF-16 LE mark, lone low surrogate",
        b"\xff\xfe" + "hi ".encode("utf-16-le") + b"\x00\xdc",
        "a UTF-16 byte-order mark",
        "at byte 8",
    ),
    (
        "UTF-16 BE mark, lone low surrogate",
        b"\xfe\xff" + "hi ".encode("utf-16-be") + b"\xdc\x00",
        "a UTF-16 byte-order mark",
        "at byte 8",
    ),
    ("UTF-16 LE mark, odd length", b"\xff\xfe" + "hello".encode("utf-16-le") + b"!", "a UTF-16 byte-order mark", "truncated"),
    (
        "UTF-32 LE mark, beyond U+10FFFF",
        b"\xff\xfe\x00\x00" + "hi".encode("utf-32-le") + b"\x00\x00\x11\x00",
        "a UTF-32 byte-order mark",
        "at byte 12",
    ),
    (
        "UTF-16 without a mark, lone surrogate",
        "hello there".encode("utf-16-le") + b"\x00\xdc",
        "UTF-16 without a byte-order mark",
        "at byte 22",
    ),
]


@pytest.mark.parametrize(("case", "data", "named", "where"), CASES, ids=[c[0] for c in CASES])
def test_broken_wide_text_is_named_as_such(tmp_path: Path, case: str, data: bytes, named: str, where: str) -> None:
    assert decode(data) is None
    hint = encoding_hint(data)
    assert named in hint and "not valid UTF-" in hint and where in hint, hint
    assert "GB18030" not in hint
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    problem = load_document(path, max_bytes=1 << 20)
    assert isinstance(problem, LoadProblem) and problem.kind == "encoding" and named in problem.message, problem


def test_other_unreadable_files_keep_their_hints() -> None:
    assert "Western single-byte" in encoding_hint("café crème brûlée".encode("latin-1"))
