"""A link to a file in the docs folder that leads out of the folder is refused, as a link to a folder is: followed,
it indexed whatever file it named (another user's notes, a key) as part of the folder. Refused the same way by a
folder ingest, a re-index of that one document and an ingest of the uploads folder, with a problem per link and a
log entry; what was indexed through the link before is removed, and the file it leads to is never touched."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.documents.index import DocumentIndex
from app.documents.ingest import expand_paths
from app.documents.uploads import UploadFolder
from tests.app.documents.folders import INSTALL, PORT, SECRET, indexed_text, ingest, write_folder
from tests.fake_embeddings import BagOfWordsEmbeddings

pytestmark = pytest.mark.disable_socket


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "docs", {"install.md": INSTALL, "guide/port.md": PORT})


def test_a_link_out_of_the_folder_is_refused_with_a_problem_and_a_log_entry(
    docs: Path, secret: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings, caplog: pytest.LogCaptureFixture
) -> None:
    (docs / "guide" / "notes.md").symlink_to(secret)
    with caplog.at_level(logging.WARNING, logger="app.documents.walk"):
        report = ingest([docs], docs, index, emb)
    assert sorted(report.added) == ["guide/port.md", "install.md"]
    assert [(p.source, p.kind, p.transient) for p in report.problems] == [("guide/notes.md", "unsupported", False)]
    message = report.problems[0].message
    assert str(secret) in message and "outside the folder" in message and "copy the file into the folder" in message
    assert "walrus" not in indexed_text(index)
    assert any("guide/notes.md" in r.getMessage() and str(secret) in r.getMessage() for r in caplog.records)


def test_a_chain_of_links_that_ends_outside_is_refused_too(docs: Path, secret: Path) -> None:
    (docs / "hop.md").symlink_to(secret)
    (docs / "guide" / "alias.md").symlink_to(docs / "hop.md")  # inside, but leads on to the outside file
    files, _, problems = expand_paths([docs], root=docs)
    assert files == sorted([(docs / "guide" / "port.md").resolve(), (docs / "install.md").resolve()])
    assert sorted(p.source for p in problems) == ["guide/alias.md", "hop.md"]


def test_a_link_to_a_file_of_the_folder_is_still_read(docs: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings) -> None:
    (docs / ".drafts").mkdir()
    (docs / ".drafts" / "draft.md").write_text("# Draft\n\nThe shelf label is amber.\n", encoding="utf-8")
    (docs / "draft.md").symlink_to(docs / ".drafts" / "draft.md")
    report = ingest([docs], docs, index, emb)
    assert "draft.md" in report.added and report.problems == ()


def test_what_was_indexed_through_the_link_before_is_removed(
    docs: Path, secret: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    # indexed while it led to a file of the folder; then pointed out of it
    (docs / ".drafts").mkdir()
    (docs / ".drafts" / "draft.md").write_text("# Draft\n\nThe shelf label is amber.\n", encoding="utf-8")
    (docs / "latest.md").symlink_to(docs / ".drafts" / "draft.md")
    assert "latest.md" in ingest([docs], docs, index, emb).added
    (docs / "latest.md").unlink()
    (docs / "latest.md").symlink_to(secret)
    report = ingest([docs], docs, index, emb)
    assert report.removed == ("latest.md",)
    assert [p.source for p in report.problems] == ["latest.md"]
    assert "earlier version was removed" in report.problems[0].message
    assert set(index.source_hashes()) == {"guide/port.md", "install.md"}
    assert "walrus" not in indexed_text(index) and "amber" not in indexed_text(index)


def test_re_indexing_the_one_document_refuses_it_as_the_folder_ingest_does(
    docs: Path, secret: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    # the Documents page re-indexes one document by naming its path: it must not read what Re-index all refuses
    (docs / "notes.md").symlink_to(secret)
    report = ingest([docs / "notes.md"], docs, index, emb)
    assert report.added == () and [(p.source, p.kind) for p in report.problems] == [("notes.md", "unsupported")]
    assert "walrus" not in indexed_text(index)


def test_a_link_in_the_uploads_folder_is_refused_and_discarding_it_leaves_its_target(
    tmp_path: Path, docs: Path, secret: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    folder = UploadFolder(home=tmp_path / "home", docs_dir=docs)
    folder.path.mkdir(parents=True)
    (folder.path / "report.md").write_text("# Report\n\nQuarterly numbers are up.\n", encoding="utf-8")
    link = folder.path / "vault.md"
    link.symlink_to(secret)
    report = ingest([folder.path], docs, index, emb)  # Re-index all ingests the uploads folder as a folder
    assert report.added == ((folder.path / "report.md").as_posix(),)
    assert [p.source for p in report.problems] == [link.as_posix()]
    assert folder.discard_unreadable(report) == (link.as_posix(),)
    assert not link.is_symlink() and secret.read_text(encoding="utf-8") == SECRET  # the link went, not its file


def test_a_file_named_explicitly_outside_the_docs_folder_is_still_read(
    tmp_path: Path, docs: Path, secret: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    # `guarded-rag ingest ~/shortcut.md`: the user named that link, and it is in no folder it could leak out of
    shortcut = tmp_path / "shortcut.md"
    shortcut.symlink_to(secret)
    report = ingest([shortcut], docs, index, emb)
    assert report.added == (shortcut.as_posix(),) and report.problems == ()


def test_a_link_both_walked_and_named_is_one_problem(
    docs: Path, secret: Path, index: DocumentIndex, emb: BagOfWordsEmbeddings
) -> None:
    (docs / "notes.md").symlink_to(secret)
    report = ingest([docs, docs / "guide" / ".." / "notes.md"], docs, index, emb)  # named another way
    assert [p.source for p in report.problems] == ["notes.md"]


def test_a_subfolder_ingest_reads_a_link_to_a_file_of_the_docs_folder(docs: Path) -> None:
    # the bound is the docs folder, not the subfolder named: `ingest docs/guide` reads what `ingest docs` reads
    (docs / "guide" / "setup.md").symlink_to(docs / "install.md")
    files, _, problems = expand_paths([docs / "guide"], root=docs)
    assert (docs / "guide" / "setup.md") in files and problems == []
