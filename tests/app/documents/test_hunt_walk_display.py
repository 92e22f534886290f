"""walk.display showed a name that is not UTF-8 with its bytes as \\xNN escapes, and a name holding that very text
("caf\\xe9.md", a backslash and four letters) as itself: two files, one document name, so one's chunks replaced
the other's. A literal backslash that would read as part of an escape is now doubled, and undisplay undoes
exactly what display did."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.documents.index import DocumentIndex
from app.documents.ingest import ingest_paths
from app.documents.walk import display, undisplay
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket

NAMES = [
    b"caf\xe9.md",
    b"caf\\xe9.md",
    b"caf\\\xe9.md",
    b"caf\\\\xe9.md",
    b"caf\\\\\xe9.md",
    b"a\\b.md",
    b"a\\\\b.md",
    b"end\\",
    b"x\\xE9.md",
    "caf\u00e9.md".encode(),
    b"\xff\xfe",
]


def test_display_tells_every_name_apart_and_undisplay_gives_it_back() -> None:
    shown = [display(os.fsdecode(name)) for name in NAMES]
    assert len(set(shown)) == len(NAMES), shown  # "caf\xe9.md" was shown for both of the first two names
    for name, text in zip(NAMES, shown, strict=True):
        text.encode("utf-8")  # storable, hashable, JSON
        assert os.fsencode(undisplay(Path(text))) == name


def test_names_without_escape_like_text_are_shown_as_they_are() -> None:
    for name in ("guide/setup.md", "caf\u00e9.md", "a\\b.md", "x\\xE9.md", "端口.md"):
        assert display(name) == name


def test_a_latin1_name_and_a_name_spelling_its_escape_are_two_documents(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    try:
        (docs / os.fsdecode(b"caf\xe9.md")).write_text("# Bytes\n\nThe walrus sleeps.\n", encoding="utf-8")
    except OSError as exc:  # a file system that insists on UTF-8 names
        pytest.skip(f"this file system refuses a name that is not UTF-8: {exc}")
    (docs / "caf\\xe9.md").write_text("# Text\n\nThe heron fishes.\n", encoding="utf-8")
    index = DocumentIndex(path=tmp_path / "idx", collection="docs", embeddings=BagOfWordsEmbeddings())
    report = ingest_paths([docs], index=index, embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10**6)
    assert len(report.added) == 2 and report.problems == (), report
    texts = " ".join(text for _, _, text in index.rows())
    assert "walrus" in texts and "heron" in texts
    again = ingest_paths([docs], index=index, embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10**6)
    assert sorted(again.unchanged) == sorted(report.added) and again.removed == ()
    (docs / os.fsdecode(b"caf\xe9.md")).unlink()
    pruned = ingest_paths([docs], index=index, embeddings=BagOfWordsEmbeddings(), root=docs, max_bytes=10**6)
    assert pruned.removed == (display(os.fsdecode(b"caf\xe9.md")),)
    assert "heron" in " ".join(text for _, _, text in index.rows())
