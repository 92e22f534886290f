"""Hostile documents, through both ways in: the upload path (the Documents page's checks and safe save, then ingest)
and files on disk (`guarded-rag ingest PATH`). Each is refused with a clear message or indexed safely, within
seconds, and nothing is written outside the home."""

from __future__ import annotations

import io
import os
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from tests.robustness.worker import service
from views.uploads import check_upload, save_upload

pytestmark = pytest.mark.robustness
MB = 1024 * 1024


def zip_bomb(uncompressed_mb: int = 200) -> bytes:
    """A zip of zeros (~0.2 MB holding 200 MB), to be renamed .pdf."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.bin", "w") as member:
        for _ in range(uncompressed_mb):
            member.write(bytes(MB))
    return out.getvalue()


def pdf_bomb(uncompressed_mb: int = 200) -> bytes:
    """A valid PDF whose page content is a FlateDecode stream of `uncompressed_mb` MB."""
    packer = zlib.compressobj(9)
    payload = packer.compress(b"BT /F1 12 Tf 72 720 Td (bomb) Tj ET ")
    for _ in range(uncompressed_mb):
        payload += packer.compress(b" " * MB)
    payload += packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(payload) + payload + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


NESTED = {
    "quotes.md": ("> " * 20_000 + "Ollama listens on port 11434.\n").encode(),
    "lists.md": "".join("  " * i + "- level\n" for i in range(1_500)).encode(),
    "brackets.md": ("[" * 100_000 + "Ollama" + "]" * 100_000).encode(),
    "emphasis.md": ("*" * 50_000 + "port" + "_" * 50_000).encode(),
    "headings.md": "".join("#" * (1 + i % 6) + f" H{i}\n" for i in range(20_000)).encode(),
    "fence.md": b"```\n" + b"```" * 30_000 + b"\nport 11434\n",
}
HOSTILE_NAMES = (
    "../../../outside.md",
    "<script>alert(1)</script>.md",
    "line\nbreak.md",
    "\u202edm.exe.md",  # RTL override: shows as "md.exe.md" reversed
    "..md",
    ".hidden.md",
    "a" * 300 + ".md",
)


def tree(root: Path, skip: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_relative_to(skip)}


@pytest.fixture
def outside(tmp_path: Path):
    """Asserts at the end that nothing appeared outside the home (inputs are written before the snapshot)."""
    home = tmp_path / "home"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    yield home, inputs, lambda: tree(tmp_path, home)


def test_hostile_uploads_are_refused_or_saved_safely_inside_the_home(outside) -> None:
    home, _inputs, snapshot = outside
    svc = service(home)
    before = snapshot()
    max_bytes = int(svc.settings.max_file_mb * MB)
    uploads = {
        "binary.md": b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096),
        "bomb.pdf": zip_bomb(),
        "pdfbomb.pdf": pdf_bomb(),
        "latin1.md": "café - naïve".encode("latin-1") + b"\xff\xfe\xfd" * 50,
        **NESTED,
        **{name: b"# Note\n\nOllama listens on port 11434 by default.\n" for name in HOSTILE_NAMES},
    }
    saved, refused = [], {}
    for name, data in uploads.items():
        problem = check_upload(name, data, max_bytes=max_bytes)
        if problem is None:
            saved.append(save_upload(home, name, data))
        else:
            refused[name] = problem.kind
    assert refused == {"binary.md": "binary", "bomb.pdf": "not_pdf"}
    assert all(p.parent == (home / "uploads").resolve() for p in saved)
    assert all("/" not in p.name and "\n" not in p.name and "<" not in p.name and "\u202e" not in p.name for p in saved)
    started = time.monotonic()
    report = svc.ingest(saved)
    assert time.monotonic() - started < 60
    problems = {Path(p.source).name: (p.kind, p.message) for p in report.problems}
    assert problems["pdfbomb.pdf"][0] == "unreadable" and "Limit reached" in problems["pdfbomb.pdf"][1]
    assert problems["latin1.md"][0] == "encoding" and "re-save it as UTF-8" in problems["latin1.md"][1]
    assert len(report.added) >= len(HOSTILE_NAMES) - 1  # ".md" names may collapse to one safe name
    assert all(p.message for p in report.problems)
    assert snapshot() == before, "something was written outside the home"
    hits = svc.search("port 11434", 4)
    uploads = (home / "uploads").resolve()
    assert hits and all(Path(h.source).parent == uploads for h in hits)  # sources are the safe names, in the home


def test_hostile_files_on_disk_are_refused_or_indexed_within_seconds(outside) -> None:
    home, inputs, snapshot = outside
    (inputs / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(8192))
    (inputs / "bomb.pdf").write_bytes(zip_bomb())
    (inputs / "pdfbomb.pdf").write_bytes(pdf_bomb())
    (inputs / "invalid.md").write_bytes(b"Ollama \xc3\x28 listens \xa0\xa1 on " * 100)
    sparse = inputs / "huge.md"
    with sparse.open("wb") as handle:
        handle.truncate(1024 * MB)  # 1 GB, sparse: refused by its size before anything is read
    for name, data in NESTED.items():
        (inputs / name).write_bytes(data)
    for name in ("line\nbreak.md", "\u202edm.exe.md", "<img src=x onerror=alert(1)>.md"):
        (inputs / name).write_text("# Note\n\nOllama listens on port 11434 by default.\n", encoding="utf-8")
    svc = service(home)
    before = snapshot()
    started = time.monotonic()
    report = svc.ingest([inputs])
    took = time.monotonic() - started
    assert took < 60, f"ingest took {took:.0f} s"
    kinds = {Path(p.source).name: p.kind for p in report.problems}
    assert kinds["binary.md"] == "binary" and kinds["huge.md"] == "too_large"
    assert kinds["bomb.pdf"] == "unreadable" and kinds["pdfbomb.pdf"] == "unreadable"
    assert kinds["invalid.md"] in {"encoding", "binary"}
    added = {Path(s).name for s in report.added}
    assert {"line\nbreak.md", "\u202edm.exe.md", "<img src=x onerror=alert(1)>.md"} <= added
    assert set(NESTED) <= added | set(kinds), (added, kinds)
    assert snapshot() == before, "something was written outside the home"
    assert svc.ingest([inputs]).chunks_added == 0  # and it converges
