"""Settings page: model names typed (or pasted) with blanks around them, and only request settings offered."""

from __future__ import annotations

from app.settings import REQUEST_FIELDS, Settings
from guardrails import load_policy
from tests.ui.conftest import TIMEOUT
from views.options import SETTING_FIELDS, build_options

BASE = Settings()
POLICY = load_policy()


def build(**settings: object):
    return build_options(BASE, POLICY, settings=settings, guardrails={}, chaos=None)


def test_a_pasted_fallback_model_is_kept_without_its_blanks():
    assert build(fallback_model="  llama3.2:1b \n").settings == {"fallback_model": "llama3.2:1b"}
    assert build(fallback_model="   ").settings == {}  # blank: no fallback, the default
    assert build(model=f" {BASE.model} ").settings == {}  # the same model: no override recorded


def test_the_page_applies_a_pasted_fallback_model_as_ollama_names_it(make_app):
    at, svc, _ = make_app("settings")
    at.text_input(key="s-0-fallback").set_value(" llama3.2:1b ")
    next(b for b in at.button if b.label == "Apply to this session").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    opts = at.session_state["ask_options"]
    assert opts.settings == {"fallback_model": "llama3.2:1b"}
    assert svc.effective(opts)[0].fallback_model == "llama3.2:1b"


def test_the_page_offers_only_settings_a_request_may_change():
    assert set(SETTING_FIELDS) <= REQUEST_FIELDS
