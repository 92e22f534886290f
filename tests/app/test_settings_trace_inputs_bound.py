"""GUARDED_RAG_TRACE_INPUTS_KB is bounded so a recorded trace's export line always fits what `traces import` reads.

Found by a hunt: the setting allowed 100,000 KB, and a trace that kept that much exported as a line longer than
LINE_MAX (64 Mi characters): export refused it, so such traces could never be moved to another store."""

from __future__ import annotations

import pytest

from app.settings import SettingsError, load_settings
from app.settings.model import TRACE_INPUTS_KB_MAX, Settings
from app.traces.jsonl import LINE_MAX

ESCAPED = len(r"\u0001")  # the most characters one stored byte takes in an export line
RUNGS = 3  # primary model, fallback model, embedded model (app/models/rungs.py)


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("0", 0), ("64", 64), (str(TRACE_INPUTS_KB_MAX), TRACE_INPUTS_KB_MAX), (" 7 ", 7)],
)
def test_values_in_range_are_kept(raw: str, kept: int) -> None:
    assert load_settings({"GUARDED_RAG_TRACE_INPUTS_KB": raw}).trace_inputs_kb == kept


@pytest.mark.parametrize("raw", [str(TRACE_INPUTS_KB_MAX + 1), "100000", "-1"])
def test_values_out_of_range_are_refused_naming_the_variable_and_range(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"GUARDED_RAG_TRACE_INPUTS_KB": raw})
    message = str(caught.value)
    assert f"GUARDED_RAG_TRACE_INPUTS_KB='{raw}'" in message and f"from 0 to {TRACE_INPUTS_KB_MAX} (KB)" in message
    assert "traces import" in message and "Value error" not in message


def test_the_bound_keeps_a_worst_case_trace_within_what_import_reads() -> None:
    """Every kept byte escaped to 6 characters and written again by each capture that saw it (input, retrieval,
    and each attempt of each rung) still leaves room in LINE_MAX for the rest of the record."""
    reasks = next(m.le for m in Settings.model_fields["reasks"].metadata if hasattr(m, "le"))
    captures = 2 + (1 + reasks) * RUNGS
    worst = TRACE_INPUTS_KB_MAX * 1024 * ESCAPED * captures
    assert worst <= LINE_MAX - 2 * 1024 * 1024, (worst, LINE_MAX)
