"""View layer: whether Streamlit has been asked to end the current run (Stop, another page, another question).

Streamlit ends a run by raising at its next UI call, and a question's model call makes none while the model
reads the prompt (seconds on the embedded model): the model went on reading a prompt nobody waited for, and
the next question waited for it. `svc.ask(cancelled=...)` asks this between slices of that wait, so the call
and the model stop within a fraction of a second.

Streamlit has no public API for "a stop or rerun is pending" (1.67): the run's ScriptRequests holds it in
`_state` (CONTINUE until a STOP or RERUN is requested). Read here only, defensively: anything missing or
renamed in another Streamlit version reads as "not stopping", i.e. the behaviour before this module. A test
pins the assumption against the installed Streamlit (tests/ui/test_stopping.py).
"""

from __future__ import annotations

from collections.abc import Callable

from streamlit.runtime.scriptrunner import get_script_run_ctx


def _never() -> bool:
    return False


def stop_check(requests: object | None = None) -> Callable[[], bool]:
    """A `cancelled` for svc.ask: true once the current run has a STOP or RERUN pending. `requests`: the run's
    ScriptRequests (default: the current script run's; outside a run there is none and it is never true)."""
    if requests is None:
        ctx = get_script_run_ctx(suppress_warning=True)
        requests = getattr(ctx, "script_requests", None)
    if requests is None:
        return _never
    found = requests

    def stopping() -> bool:
        state = getattr(found, "_state", None)
        name = getattr(state, "name", None)
        return isinstance(name, str) and name != "CONTINUE"

    return stopping
