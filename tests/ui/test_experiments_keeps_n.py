"""The Experiments page keeps the N each experiment was given while the user visits other pages. Before, Streamlit
forgot the value of the widget the other page did not draw: back on the page, N was at its default again (and a
Run then ran the default, not the N chosen)."""

from __future__ import annotations

from pathlib import Path

from tests.fake_service import make_service
from tests.ui.conftest import EMBEDDED, TIMEOUT
from tests.ui.test_hunt_views import session_app
from views.experiments import SMALL_N


def test_the_n_chosen_is_still_set_after_a_visit_to_another_page(tmp_path: Path):
    svc, factory = make_service(tmp_path, scripts={EMBEDDED: ["Sure."] * 4})
    at = session_app(svc, "experiments")
    at.run(timeout=TIMEOUT)
    chosen = {"overinference": 2, "latency": SMALL_N["latency"] + 3}
    for name, n in chosen.items():
        at.number_input(key=f"lab_n_{name}").set_value(n)
    at.run(timeout=TIMEOUT)
    at.session_state["hunt_page"] = "elsewhere"  # the chat, say
    at.run(timeout=TIMEOUT)
    at.session_state["hunt_page"] = "experiments"
    at.run(timeout=TIMEOUT)
    assert not at.exception
    for name, n in chosen.items():
        assert at.number_input(key=f"lab_n_{name}").value == n, name
    assert at.number_input(key="lab_n_nondeterminism").value == SMALL_N["nondeterminism"]  # untouched: its default
    at.button(key="lab_run_overinference").click().run(timeout=TIMEOUT)  # the run uses the N kept
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(factory.models[EMBEDDED].calls) == 2
