"""The timeline component: steps, chaos faults and the raw/parsed/repair views of model steps."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from chains import TraceEvent
from views.timeline import chaos_events, model_steps, timeline_rows

EVENTS = [
    TraceEvent(seq=1, step="chaos", name="chaos:prose", outcome="fired", reason="wrapped the JSON in prose and a code fence"),
    TraceEvent(seq=2, step="generation", name="model_call", outcome="ok", raw_output='Sure!\n{"answer": "x"}', duration_ms=12.5),
    TraceEvent(
        seq=3,
        step="parse",
        name="parse_ladder",
        outcome="passed",
        attempt=1,
        raw_output='Sure!\n{"answer": "x"}',
        parsed_output={"answer": "x", "citations": ["S1"]},
        details={"rung": "extract", "repaired_text": '{"answer": "x"}'},
        evidence=("strict: not JSON",),
    ),
]


def render(events):
    from views.timeline import render_timeline

    render_timeline(events, key="t")


def test_rows_and_selections():
    rows = timeline_rows(EVENTS)
    assert [r["#"] for r in rows] == [1, 2, 3] and "chaos" in rows[0]["step"] and rows[1]["ms"] == 12.5
    assert [e.seq for e in model_steps(EVENTS)] == [2, 3] and [e.seq for e in chaos_events(EVENTS)] == [1]


def test_timeline_shows_chaos_raw_parsed_and_repair_diff():
    at = AppTest.from_function(render, args=(EVENTS,), default_timeout=30).run(timeout=30)
    assert not at.exception
    assert any("chaos" in w.value for w in at.warning)
    assert [tab.label for tab in at.tabs] == ["Raw output", "Raw output", "Parsed", "Repair diff", "Evidence"]
    diffs = [c for c in at.code if c.language == "diff"]
    assert len(diffs) == 1 and "-Sure!" in diffs[0].value
    assert at.json and at.dataframe[0].value.shape[0] == 3


def test_bidi_controls_in_model_output_are_shown_not_obeyed():
    """A browser obeys U+202E in a code block or a table cell: a reply could display as something it does not
    say. The timeline shows the control as an escape in the raw output, the parsed JSON, the evidence and the
    step table."""
    rlo = "\u202e"
    events = [
        TraceEvent(
            seq=1,
            step="parse",
            name="parse_ladder",
            outcome="passed",
            reason=f"kept {rlo}cba",
            raw_output=f'{{"answer": "port {rlo}43411"}}',
            parsed_output={"answer": f"port {rlo}43411", "citations": ["S1"]},
            evidence=(f"quoted {rlo}txt.exe",),
        )
    ]
    at = AppTest.from_function(render, args=(events,), default_timeout=30).run(timeout=30)
    assert not at.exception
    shown = [c.value for c in at.code] + [str(at.json[0].value)] + at.dataframe[0].value.astype(str).values.ravel().tolist()
    assert not any(rlo in text for text in shown)
    assert "port \\u202e43411" in at.code[0].value and "\\u202etxt.exe" in at.code[-1].value
    assert "\\u202e43411" in at.json[0].value
