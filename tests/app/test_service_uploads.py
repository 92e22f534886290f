"""The service's upload and chat-box methods: ingest_uploads, forget_document, source_label, question_limit."""

from __future__ import annotations

from pathlib import Path

from app.contract import AskOptions
from tests.app.documents.pdfs import blank_pdf
from tests.fake_service import make_service


def saved(svc, name: str, data: bytes) -> Path:
    folder = svc.uploads().path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_uploads_the_ingest_cannot_read_are_removed_and_said(tmp_path: Path):
    svc, _ = make_service(tmp_path)
    good = saved(svc, "walrus.md", b"# Walrus\n\nThe walrus festival happens in March.")
    unreadable = {
        "scan.pdf": blank_pdf(),  # a PDF with no text
        "latin.txt": "Café crème, déjà vu, naïve façade. ".encode("cp1252") * 5,  # neither UTF-8 nor Chinese
        "headings.md": b"# Title\n\n## Part\n",  # nothing to index besides headings
    }
    bad = [saved(svc, name, data) for name, data in unreadable.items()]
    done = svc.ingest_uploads([good, *bad])
    assert {Path(p.source).name for p in done.report.problems} == set(unreadable)
    assert sorted(Path(s).name for s in done.discarded) == sorted(unreadable)
    assert not any(p.exists() for p in bad) and good.exists()
    assert [Path(s).name for s in done.report.added] == ["walrus.md"]
    # Re-indexing the uploads folder finds nothing to bring back
    again = svc.ingest_uploads([svc.uploads().path])
    assert not again.report.problems and not again.discarded


def test_forget_document_removes_an_upload_file_and_keeps_a_docs_file(tmp_path: Path):
    svc, _ = make_service(tmp_path)
    path = saved(svc, "walrus.md", b"# Walrus\n\nThe walrus festival happens in March.")
    svc.ingest_uploads([path])
    source = next(d.source for d in svc.documents() if d.source.endswith("walrus.md"))
    removal = svc.forget_document(source)
    assert removal.chunks > 0 and removal.file == "removed" and removal.label == "uploads/walrus.md"
    assert not path.exists() and source not in {d.source for d in svc.documents()}

    kept = svc.forget_document("modelfile.md")
    assert kept.chunks > 0 and kept.file == "kept" and kept.label == "modelfile.md"
    assert (svc.settings.docs_dir / "modelfile.md").is_file()


def test_source_label_hides_the_home_folder(tmp_path: Path):
    svc, _ = make_service(tmp_path)
    path = saved(svc, "x.txt", b"The x file talks about the walrus festival.")
    svc.ingest_uploads([path])
    sources = [d.source for d in svc.documents()]
    labels = [svc.source_label(s) for s in sources]
    assert "uploads/x.txt" in labels and "ollama-port.md" in labels
    assert not any(str(svc.settings.home.resolve()) in label for label in labels)


def test_question_limit_follows_the_sessions_input_size_policy(tmp_path: Path):
    svc, _ = make_service(tmp_path)
    assert svc.question_limit() == 2000  # the default policy's input_size.max_chars
    assert svc.question_limit(AskOptions(guardrails={"input_size": {"max_chars": 500}})) == 500
    assert svc.question_limit(AskOptions(guardrails={"input_size": {"enabled": False}})) is None
    # options that do not validate: the service's own policy (ask reports them as an error)
    assert svc.question_limit(AskOptions(guardrails={"input_size": {"max_chars": 0}})) == 2000
