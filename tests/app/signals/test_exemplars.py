"""Exemplar sources: team and shared readers, the tune-split rule that keeps report items out, the corpus, and
the windows long texts are cut into."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.signals.detector_spec import collect
from app.signals.exemplars import TEAM_LICENCE, corpus_set, shared_set, team_set, tune_sample
from app.signals.input_detectors import INJECTION, VAGUENESS
from app.signals.spans import window_spans
from app.stats import split_of

REPO = Path(__file__).resolve().parents[3]


def test_team_set_reads_the_data_eval_format(team_dir: Path) -> None:
    items = team_set(team_dir, "injection")
    assert {e.kind for e in items} == {"injection", "benign"}
    assert all(e.key.startswith("injection/") and e.licence == TEAM_LICENCE and e.team for e in items)
    assert team_set(team_dir, "missing") == []


def test_tune_sample_keeps_only_the_tune_split_and_caps_stably(team_dir: Path) -> None:
    items = team_set(team_dir, "injection")
    tune = tune_sample(items)
    assert tune and all(split_of(e.key) == "tune" for e in tune)
    assert 0 < len(tune) < len(items)
    capped = tune_sample(items, cap=5)
    assert len(capped) == 5 and capped == tune_sample(list(reversed(items)), cap=5)  # order-independent


def test_shared_sets_are_optional(tmp_path: Path) -> None:
    assert shared_set(tmp_path / "nowhere", "promptfoo") == []


@pytest.mark.parametrize("spec", [INJECTION, VAGUENESS], ids=lambda s: s.name)
def test_no_report_item_is_ever_an_exemplar(spec) -> None:
    """The real team data (and the shared data when present): every exemplar key is on the tune side."""
    exemplars, _ = collect(spec, REPO / "data" / "eval", REPO.parent / "shared" / "eval-data", REPO / "data" / "docs")
    labelled = [e for e in exemplars if e.dataset != "docs"]
    assert labelled, "no exemplars found in data/eval"
    assert all(split_of(e.key.split("#chars")[0]) == "tune" for e in labelled)


def test_collect_notes_what_is_missing(team_dir: Path, tmp_path: Path) -> None:
    exemplars, notes = collect(INJECTION, team_dir, tmp_path / "no-shared", tmp_path / "no-docs")
    assert exemplars
    assert any("promptfoo" in n for n in notes) and any("corpus" in n for n in notes)
    # one note for every absent third-party set (the doctor prints the first note of each detector)
    absent = [n for n in notes if n.startswith("third-party")]
    assert absent == [
        f"third-party sets promptfoo, giskard, clamber, clariq, cmrc2018-trial not found under {tmp_path / 'no-shared'}: "
        "learning without them"
    ]


def test_corpus_paragraphs_are_benign_team_text(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n\n" + "Ollama serves models over HTTP. " * 4 + "\n\nshort\n", encoding="utf-8")
    (tmp_path / "b.bin").write_bytes(b"\x00")
    found = corpus_set(tmp_path)
    assert [e.key for e in found] == ["docs/a.md#0"] and found[0].kind == "benign" and found[0].team


@pytest.mark.parametrize(
    ("length", "size", "limit"), [(100, 240, 12), (241, 240, 12), (1000, 240, 12), (20000, 240, 12), (5000, 100, 3)]
)
def test_windows_cover_the_whole_text_within_the_cap(length: int, size: int, limit: int) -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(length))
    spans = window_spans(text, size, limit)
    if length <= size:
        assert spans == []
        return
    assert 2 <= len(spans) <= limit
    assert all(w == text[s : s + len(w)] and len(w) >= size for s, w in spans)
    covered = set()
    for start, window in spans:
        covered.update(range(start, start + len(window)))
    assert covered == set(range(length))  # no gap, however long the text
    if length <= size * (limit + 1) // 2:
        assert all(len(w) == size for _, w in spans)  # windows widen only when the cap forces it
