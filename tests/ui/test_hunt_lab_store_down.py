"""A trace store that fails while the policy lab or the JSONL export reads it (TraceStoreError from its backend)
is one sentence where the user clicked, and the rest of the Traces page stays. Before, a replay or a sweep that
could not read the traces ended the page below its charts with the page-wide "could not be read ... Reload this
page" (the Labels and Sweep tabs and the trace detail gone; reloading does not replay), and the JSONL export was
built by Streamlit after the click, outside the page's run: the TraceStoreError became "Failed to generate file
for download" and a traceback in the server's log. And a damaged SQLite file is the page's sentence too."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, texts
from tests.ui.test_trace_store_down import PAGE_ERROR, Failing, with_failing_store


def _page(make_app, questions: int = 1) -> tuple[Any, Any, Failing]:
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD] * questions}, run=False)
    for i in range(questions):
        svc.ask("Which port does Ollama listen on?" if i == 0 else "Is this plan reasonable?")
    reads = with_failing_store(svc)
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at, svc, reads


def _click(at: Any, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run(timeout=TIMEOUT)


def _click_while_down(at: Any, reads: Failing, down: str, label: str) -> list[str]:
    """Click the button `label` with the store's operation `down` failing; the errors the page shows then."""
    reads.down = {down}
    _click(at, label)
    assert not at.exception
    return [e.value for e in at.error]


def _the_rest_is_there(at: Any) -> None:
    shown = texts(at)
    assert PAGE_ERROR not in shown and "trace store could not be read" not in shown, shown
    assert at.selectbox(key="tr_detail") is not None  # the trace detail, below the lab, is still drawn
    assert at.dataframe  # and the table


def test_a_replay_that_cannot_read_the_traces_says_so_in_the_what_if_tab(make_app):
    at, _, reads = _page(make_app)
    errors = _click_while_down(at, reads, "full", "Replay under this policy")
    assert any(e.startswith("The replay could not read the traces: ") and "statement timeout" in e for e in errors), errors
    assert any('Press "Replay under this policy" to try again' in e for e in errors), errors
    _the_rest_is_there(at)
    assert "Replayed" not in [m.label for m in at.metric]
    reads.down = set()  # the store is back: the same button replays
    _click(at, "Replay under this policy")
    assert not at.exception and not at.error and "Replayed" in [m.label for m in at.metric]


def test_a_sweep_that_cannot_read_the_labelled_traces_says_so_in_the_sweep_tab(make_app):
    at, _, reads = _page(make_app)
    errors = _click_while_down(at, reads, "labelled", "Sweep")
    assert any(e.startswith("The sweep could not read the labelled traces: ") and "statement timeout" in e for e in errors)
    _the_rest_is_there(at)


def test_an_export_that_cannot_read_the_traces_says_so_and_offers_the_file_once_it_can(make_app, monkeypatch):
    from views import traces

    monkeypatch.setattr(traces, "EVENT_LIMIT", 1)  # 200 in the app: the export reads the traces past it whole
    at, svc, reads = _page(make_app, questions=2)
    older = svc.traces.list()[-1].trace_id  # past EVENT_LIMIT and not the detail shown: read by the export only
    errors = _click_while_down(at, reads, f"get:{older}", "Export JSONL")
    assert errors and errors[0].startswith("The export could not read the traces: ") and "statement timeout" in errors[0]
    assert 'Press "Export JSONL" to try again' in errors[0]
    _the_rest_is_there(at)
    assert "Download traces.jsonl" not in [b.label for b in at.get("download_button")]  # no file half read
    reads.down = set()
    _click(at, "Export JSONL")
    assert not at.exception and not at.error
    offered = next(b for b in at.get("download_button") if b.label == "Download traces.jsonl")
    assert offered.proto.url  # the file, ready: not built by Streamlit after the click, outside the page's run
    assert "Export JSONL" not in [b.label for b in at.get("download_button")]


def test_the_sentence_names_no_server_folder(make_app):
    at, svc, reads = _page(make_app)
    reads.message = f"listing traces in the SQLite trace file {svc.settings.home / 'traces.sqlite3'} failed: database is locked"
    errors = " ".join(_click_while_down(at, reads, "full", "Replay under this policy"))
    assert "The replay could not read the traces" in errors and str(svc.settings.home) not in errors, errors


def test_a_damaged_sqlite_file_is_the_pages_sentence_not_the_generic_notice(make_app):
    """The real SQLite backend, its file damaged while the app runs: its error is a TraceStoreError now (it was a
    raw sqlite3.DatabaseError, which the page did not catch: "This page hit a problem")."""
    from tests.app.traces.test_hunt_sqlite_read_errors import _damage_in_place, _filled

    at, svc, _ = make_app("traces", run=False)
    _filled(svc.settings.trace_db)
    _damage_in_place(svc.settings.trace_db)
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = texts(at)
    assert PAGE_ERROR not in shown, shown
    errors = [e.value for e in at.error]
    assert errors and errors[0].startswith("The trace store could not be read: listing traces in the SQLite trace file")
    assert "database disk image is malformed" in errors[0] and "move it aside" in errors[0]
