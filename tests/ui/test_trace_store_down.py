"""A trace store that is down or stuck (TraceStoreError from its backend) never ends a page: the Traces page says
the store could not be read and what to do (its filters kept), a label that could not be saved says so under its
form, the Labels tab says so inside the tab, and the Chat page still answers. Before, each of these ended the
page with the generic "This page hit a problem and stopped" (the store's reads were not caught anywhere)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.traces import TraceBackend, TraceFilter, TraceLabel, TraceRecord, TraceStore, TraceStoreError
from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, texts

DOWN = (
    "listing traces in the PostgreSQL trace store at postgresql://app@db.example:5432/traces failed: canceling "
    "statement due to statement timeout (try again in a moment)"
)
PAGE_ERROR = "This page hit a problem"


class Failing:
    """The service's real backend, with the operations named in `down` raising TraceStoreError(`message`): "list",
    "labelled" (a list of the labelled traces), "full" (a list with replay inputs and labels: the policy lab's
    replay), "get" (any one trace) or "get:<id>" (that one), "count", "save_many", "save_label", "import_many"."""

    message = DOWN

    def __init__(self, inner: TraceBackend, *down: str) -> None:
        self._inner = inner
        self.down = set(down)

    def _check(self, what: str) -> None:
        if what in self.down:
            raise TraceStoreError(self.message)

    @property
    def location(self) -> str:
        return self._inner.location

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        self._check("save_many")
        self._inner.save_many(records)

    def list(self, flt: TraceFilter | None = None, *, full: bool = False) -> list[TraceRecord]:
        labelled = flt is not None and flt.labelled
        self._check("labelled" if labelled else "list")
        if full and not labelled:
            self._check("full")
        return self._inner.list(flt, full=full)

    def get(self, trace_id: str) -> TraceRecord | None:
        self._check("get")
        self._check(f"get:{trace_id}")
        return self._inner.get(trace_id)

    def count(self) -> int:
        self._check("count")
        return self._inner.count()

    def save_label(self, trace_id: str, label: TraceLabel) -> bool:
        self._check("save_label")
        return self._inner.save_label(trace_id, label)

    def import_many(self, records: Sequence[TraceRecord]) -> Any:
        self._check("import_many")
        return self._inner.import_many(records)


def with_failing_store(svc: Any) -> Failing:
    """Swap the service's store for one over a Failing backend (nothing down yet)."""
    svc.traces.flush()
    failing = Failing(svc.traces.backend)
    svc.traces.close()
    svc.traces = TraceStore(failing, background=False)
    return failing


def test_the_traces_page_says_the_store_is_down_and_what_to_do(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    failing = with_failing_store(svc)
    failing.down = {"list", "get", "count"}
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = texts(at)
    assert PAGE_ERROR not in shown, shown
    assert [e.value for e in at.error] and "trace store could not be read" in at.error[0].value
    assert "statement timeout" in at.error[0].value and "Reload this page" in at.error[0].value
    assert at.selectbox(key="tr_status") is not None  # the filters are still there
    failing.down = set()  # the store is back: the page shows its traces again
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error and at.dataframe


def test_a_label_the_store_cannot_save_says_so_under_the_form(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    failing = with_failing_store(svc)
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    failing.down = {"save_label"}
    save = next(b for b in at.button if "label-" in str(b.form_id))  # the form's submit button
    save.click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = texts(at)
    assert PAGE_ERROR not in shown, shown
    assert any("The label was not saved" in e.value for e in at.error), shown
    assert at.dataframe  # the rest of the page is still drawn


def test_the_labels_tab_says_the_labelled_traces_could_not_be_read(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    failing = with_failing_store(svc)
    failing.down = {"labelled"}
    at.run(timeout=TIMEOUT)
    assert not at.exception
    shown = texts(at)
    assert PAGE_ERROR not in shown, shown
    assert any("labelled traces could not be read" in w.value for w in at.warning), shown
    assert at.selectbox(key="tr_detail") is not None  # the trace detail below the tabs is still drawn


def test_the_chat_page_answers_while_the_store_is_down(make_app):
    at, svc, _ = make_app("chat", scripts={EMBEDDED: [GOOD]}, run=False)
    failing = with_failing_store(svc)
    failing.down = {"save_many", "list", "get", "count", "save_label", "labelled"}
    at.run(timeout=TIMEOUT)
    at.chat_input[0].set_value("Which port does Ollama listen on?").run(timeout=TIMEOUT)
    assert not at.exception
    shown = texts(at)
    assert PAGE_ERROR not in shown and "11434" in shown, shown
