"""Bug hunt: an observer (the Python API's progress callback) that raises must not cost the request its typed
result and its trace: the error result was told to the same observer, which raised again out of ask()."""

from __future__ import annotations

from pathlib import Path

from chains import TraceEvent
from tests.fake_service import make_service

Q = "Which port does Ollama listen on by default?"


def test_an_observer_that_raises_gives_a_typed_error_and_a_kept_trace(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, reraise_bugs=False)
    seen: list[str] = []

    def observer(event: TraceEvent) -> None:
        seen.append(event.name)
        raise ValueError("the progress display broke")

    r = svc.ask(Q, observer=observer)
    assert r.status == "error" and "internal error (ValueError: the progress display broke)" in (r.message or "")
    assert [e.name for e in r.events] == ["backend", "error"]  # the error event is recorded once
    stored = svc.traces.get(r.trace_id)
    assert stored is not None and stored.status == "error"
    assert seen == ["backend", "error"]  # told of the error once, then no more
