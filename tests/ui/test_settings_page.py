"""Settings page: validated per-session options; bad values show a message and are not applied."""

from __future__ import annotations

from tests.ui.conftest import TIMEOUT


def submit(at):
    next(b for b in at.button if b.label == "Apply to this session").click()
    return at.run(timeout=TIMEOUT)


def options(at):
    return at.session_state.get("ask_options", None)


def test_valid_change_applies_to_this_session_only(make_app):
    at, svc, _ = make_app("settings")
    assert not at.exception
    at.number_input(key="s-0-temperature").set_value(0.7)
    at.number_input(key="g-0-relevance-min_score").set_value(0.5)
    submit(at)
    assert not at.exception
    opts = options(at)
    assert opts.settings == {"temperature": 0.7}
    assert opts.guardrails == {"relevance": {"min_score": 0.5}}
    assert opts.session == at.session_state["session_id"]
    assert svc.settings.temperature == 0.2  # the shared service is untouched
    assert any("Applied" in s.value for s in at.success)


def test_bad_setting_shows_message_and_is_not_applied(make_app):
    at, _, _ = make_app("settings")
    at.number_input(key="s-0-temperature").set_value(5.0)
    submit(at)
    assert options(at) is None
    [error] = at.error
    assert "Not applied" in error.value and "temperature" in error.value


def test_bad_guardrail_threshold_shows_message(make_app):
    at, _, _ = make_app("settings")
    at.number_input(key="g-0-relevance-min_score").set_value(2.0)
    submit(at)
    assert options(at) is None
    assert any("relevance" in e.value for e in at.error)


def test_chaos_toggle_passes_options(make_app):
    at, _, _ = make_app("settings")
    at.toggle(key="c-0-on").set_value(True)
    at.slider(key="c-0-rate").set_value(1.0)
    at.multiselect(key="c-0-faults").set_value(["prose", "truncate"])
    submit(at)
    assert not at.error
    assert options(at).chaos == {"rate": 1.0, "faults": ["prose", "truncate"], "latency_s": 3.0}


def test_chaos_without_faults_is_rejected(make_app):
    at, _, _ = make_app("settings")
    at.toggle(key="c-0-on").set_value(True)
    at.multiselect(key="c-0-faults").set_value([])
    submit(at)
    assert options(at) is None
    assert any("fault" in e.value for e in at.error)


def test_reset_restores_defaults(make_app):
    at, _, _ = make_app("settings")
    at.number_input(key="s-0-retries").set_value(4)
    submit(at)
    assert options(at).settings == {"retries": 4}
    next(b for b in at.button if b.label == "Reset to defaults").click()
    at.run(timeout=TIMEOUT)
    assert options(at).settings == {}
    assert at.number_input(key="s-1-retries").value == 0  # the fake service's default
