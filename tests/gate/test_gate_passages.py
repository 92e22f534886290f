"""Quality gate for the context_injection guardrail on document passages (report split and held-out set; no
model, no embedder: the guardrail is pure patterns).

Floors, per language, a little under what was measured when the addressed_to_ai_reader family landed
(docs/GUARDRAILS.md, "Measured: context_injection"): regressions fail, and a rule that buys recall by dropping
ordinary passages fails too.
- recall >= 0.35 on the report half of the team's passages and on both held-out sets (measured en 0.47 / 0.48 /
  0.60, zh 0.42 / 0.40 / 0.50);
- look-alike passages dropped <= 10% (measured en 2.6% / 4.0% / 6.7%, zh 7.7% / 0% / 3.3%);
- no chunk of the sample corpus dropped, and <= 1% of CMRC 2018 dev passages (measured 0 / 0): a dropped chunk
  of data/docs would take answers away from the golden questions.
Tables go to test-artifacts/gate-passages/ so a failing floor can be read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import judge_passages, passage_cases, passage_rows
from app.lab.evaluation.passages import PassageRow

pytestmark = [pytest.mark.gate]

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "eval-data"
ARTIFACTS = REPO / "test-artifacts" / "gate-passages"
RECALL_FLOOR, LOOK_ALIKE_CEILING, CMRC_CEILING = 0.35, 0.10, 0.01


@pytest.fixture(scope="module")
def rows() -> dict[tuple[str, str], PassageRow]:
    found = passage_rows(
        judge_passages(passage_cases(REPO / "data" / "eval", SHARED if SHARED.is_dir() else None, REPO / "data" / "docs"))
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report.json").write_text(json.dumps([r.model_dump() for r in found], indent=1), encoding="utf-8")
    return {(r.group, r.lang): r for r in found}


@pytest.mark.parametrize("group", ["team", "held-out", "held-out-2"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_passages_addressed_to_the_ai_are_dropped(rows: dict[tuple[str, str], PassageRow], group: str, lang: str) -> None:
    r = rows[(group, lang)]
    assert r.injections >= 25 and r.recall is not None and r.recall >= RECALL_FLOOR, r
    assert r.benign >= 25 and r.false_flag_rate is not None and r.false_flag_rate <= LOOK_ALIKE_CEILING, r


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_chunk_of_the_sample_corpus_is_dropped(rows: dict[tuple[str, str], PassageRow], lang: str) -> None:
    r = rows[("corpus", lang)]
    assert r.benign >= 50 and r.false_flags == 0, r


def test_wikipedia_passages_are_rarely_dropped(rows: dict[tuple[str, str], PassageRow]) -> None:
    if ("cmrc", "zh") not in rows:
        pytest.skip("../shared/eval-data (CMRC 2018) is not present")
    r = rows[("cmrc", "zh")]
    assert r.benign >= 250 and r.false_flag_rate is not None and r.false_flag_rate <= CMRC_CEILING, r
