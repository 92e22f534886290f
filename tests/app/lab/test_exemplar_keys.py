"""The detectors' exemplar readers and the evaluation lab read the same items under the same keys: that is what
keeps every report-split item out of the exemplars. Checked on the fixture copies of every shared format, on the
real shared data when it is present, and on the team's sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lab.evaluation.datasets import resolve
from app.signals.exemplars import SHARED_READERS, shared_set, team_set

REPO = Path(__file__).resolve().parents[3]
REAL_SHARED = REPO.parent / "shared" / "eval-data"


def _same(lab_items, exemplars) -> None:
    lab = {i.key: (i.question, i.kind, i.lang) for i in lab_items}
    ours = {e.key: (e.text, e.kind, e.lang) for e in exemplars}
    assert ours == lab


@pytest.mark.parametrize("name", sorted(SHARED_READERS))
def test_shared_readers_match_the_lab_on_every_format(name: str, shared_dir: Path) -> None:
    _same(resolve(name, shared=shared_dir), shared_set(shared_dir, name))


@pytest.mark.skipif(not REAL_SHARED.is_dir(), reason="../shared/eval-data is not present")
@pytest.mark.parametrize("name", sorted(SHARED_READERS))
def test_shared_readers_match_the_lab_on_the_real_data(name: str) -> None:
    _same(resolve(name, shared=REAL_SHARED), shared_set(REAL_SHARED, name))


@pytest.mark.parametrize("name", ["golden", "vague", "unanswerable", "injection", "benign"])
def test_team_readers_match_the_lab(name: str) -> None:
    _same(resolve(name, eval_dir=REPO / "data" / "eval"), team_set(REPO / "data" / "eval", name))
