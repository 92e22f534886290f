"""guardrails/toml_file.py: a TOML file a user named is read without harm. A hunt found every reader reading the
file whole: /dev/zero or a 4 GB file grew the process until the OOM killer, a FIFO with no writer hung it, deep
nesting was a RecursionError traceback and a UTF-8 BOM "Invalid statement". No case here allocates much: the
sparse file is refused by its size, /dev/zero by its kind, both before a byte is read."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from guardrails.toml_file import TOML_MAX_BYTES, TomlFileError, read_toml_file, toml_text

DEEP = "x = " + "[" * 3000 + "]" * 3000 + "\n"


def _folder(tmp: Path) -> Path:
    (tmp / "a-folder").mkdir()
    return tmp / "a-folder"


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "a-fifo")
    return tmp / "a-fifo"


def _sparse(tmp: Path) -> Path:
    path = tmp / "big.toml"
    with path.open("wb") as f:
        f.truncate(4 * 2**30)  # 4 GB on the books, nothing on the disk
    return path


def _written(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(data)
        return tmp / name

    return make


# (id, the file, the kind of problem, words its message holds)
REFUSED = [
    ("folder", _folder, "not_a_file", "it is a folder, not a regular file"),
    ("fifo", _fifo, "not_a_file", "it is a pipe (FIFO), not a regular file"),
    ("dev-zero", lambda _t: Path("/dev/zero"), "not_a_file", "it is a character device, not a regular file"),
    ("sparse-4gb", _sparse, "too_large", "it holds 4,294,967,296 bytes (4.3 GB); a TOML file here is at most 1,000,000"),
    ("one-byte-over", _written("over.toml", b"#" * (TOML_MAX_BYTES + 1)), "too_large", "1,000,001 bytes"),
    ("deep-nesting", _written("deep.toml", DEEP.encode()), "invalid", "nested too deeply"),
    ("not-utf8", _written("latin1.toml", b'name = "caf\xe9"\n'), "not_text", "not UTF-8 text (byte 0xe9 at offset 11)"),
    ("bom-not-utf8", _written("bom.toml", b'\xef\xbb\xbfa = "\xff"\n'), "not_text", "byte 0xff at offset 8"),
    ("not-toml", _written("bad.toml", b"top_k = \n"), "invalid", "Invalid value"),
    ("missing", lambda t: t / "missing.toml", "missing", "no such file"),
    ("nul-in-name", lambda t: Path(f"{t}/a\0b.toml"), "unreadable", "null"),
]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX: FIFOs and /dev/zero")
@pytest.mark.parametrize(("make", "kind", "words"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_what_is_no_toml_file_is_refused_with_what_it_is(tmp_path: Path, make, kind: str, words: str) -> None:
    path = make(tmp_path)
    released = threading.Timer(10, _release, (path,))  # a reader stuck on the FIFO gets its EOF: a failure, no hang
    released.start()
    try:
        with pytest.raises(TomlFileError) as caught:
            read_toml_file(path)
    finally:
        released.cancel()
    assert caught.value.kind == kind
    assert words in str(caught.value)
    assert str(path) not in str(caught.value)  # the caller names the file, in its own words


def _release(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


ACCEPTED = [
    ("plain", b"top_k = 3\n", {"top_k": 3}),
    ("bom", b"\xef\xbb\xbftop_k = 3\n", {"top_k": 3}),  # Windows Notepad's UTF-8
    (
        "bom-crlf-table",
        b"\xef\xbb\xbf[guardrails.relevance]\r\nenabled = false\r\n",
        {"guardrails": {"relevance": {"enabled": False}}},
    ),
    ("empty", b"", {}),
    ("nested-a-little", b"x = [[[1]], {a = {b = [2]}}]\n", {"x": [[[1]], {"a": {"b": [2]}}]}),
    ("at-the-bound", b"#" * (TOML_MAX_BYTES - 1) + b"\n", {}),
]


@pytest.mark.parametrize(("data", "table"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_a_toml_file_is_read(tmp_path: Path, data: bytes, table: dict) -> None:
    (tmp_path / "f.toml").write_bytes(data)
    assert read_toml_file(tmp_path / "f.toml") == table


def test_a_link_to_a_toml_file_is_followed(tmp_path: Path) -> None:
    (tmp_path / "f.toml").write_text("top_k = 3\n", encoding="utf-8")
    (tmp_path / "link.toml").symlink_to(tmp_path / "f.toml")
    assert read_toml_file(tmp_path / "link.toml") == {"top_k": 3}


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="Linux /proc")
def test_a_file_holding_more_than_its_size_says_is_read_no_further_than_the_bound() -> None:
    """A /proc file reports 0 bytes: the bound holds on what is read, not on what the size says."""
    with pytest.raises(TomlFileError) as caught:
        toml_text(Path("/proc/self/status"), max_bytes=16)
    assert caught.value.kind == "too_large"
    assert "more than 16 bytes" in str(caught.value)
