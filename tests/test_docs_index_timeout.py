"""GUARDED_RAG_INDEX_TIMEOUT also bounds one PDF's text extraction at ingest (app/documents/ingest.py passes it as
parse_document's max_seconds; tests/app/documents/test_hunt_reading_pdf_bounds.py measures it): the settings said
so, README.md and docs/DEPLOY.md did not, so a large PDF skipped as "took longer than 20 s" had no documented knob."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def _row(doc: Path) -> str:
    rows = [line for line in doc.read_text(encoding="utf-8").splitlines() if line.startswith("| `GUARDED_RAG_INDEX_TIMEOUT`")]
    assert len(rows) == 1, f"{doc.name}: one table row for GUARDED_RAG_INDEX_TIMEOUT, found {len(rows)}"
    return rows[0]


def test_the_setting_says_it_bounds_pdf_extraction() -> None:
    assert "PDF" in (Settings.model_fields["index_timeout"].description or "")


@pytest.mark.parametrize("doc", ["README.md", "docs/DEPLOY.md"])
def test_the_deployment_docs_say_it_bounds_pdf_extraction(doc: str) -> None:
    assert re.search(r"PDF'?s? text extraction|text extraction of one PDF", _row(ROOT / doc)), _row(ROOT / doc)
