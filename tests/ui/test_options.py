"""views.options: form values -> validated per-session AskOptions holding only what differs."""

from __future__ import annotations

import pytest

from app.settings import Settings
from guardrails import load_policy
from views.options import build_options, error_message

BASE = Settings()
POLICY = load_policy()


def test_only_differences_are_kept_and_blank_fallback_is_none():
    opts = build_options(
        BASE,
        POLICY,
        settings={"temperature": 0.2, "retries": 3, "fallback_model": ""},
        guardrails={"relevance": {"enabled": True, "min_score": 0.5}},
        chaos=None,
        session="s1",
    )
    assert opts.settings == {"retries": 3}
    assert opts.guardrails == {"relevance": {"min_score": 0.5}}
    assert opts.chaos is None and opts.session == "s1"


@pytest.mark.parametrize(
    ("settings", "guardrails", "chaos", "needle"),
    [
        ({"temperature": 9.0}, {}, None, "temperature"),
        ({"backend": "cloud"}, {}, None, "backend"),
        ({}, {"grounding": {"min_overlap": -1.0}}, None, "grounding"),
        ({}, {}, {"rate": 2.0, "faults": ["prose"]}, "rate"),
        ({}, {}, {"rate": 0.5, "faults": ["meteor"]}, "faults"),
    ],
)
def test_bad_values_raise_with_the_field_named(settings, guardrails, chaos, needle):
    with pytest.raises(ValueError) as info:
        build_options(BASE, POLICY, settings=settings, guardrails=guardrails, chaos=chaos)
    assert needle in error_message(info.value)


def test_chaos_is_validated_and_kept_as_plain_data():
    opts = build_options(BASE, POLICY, settings={}, guardrails={}, chaos={"rate": 1.0, "faults": ("timeout",), "latency_s": 1.0})
    assert opts.chaos == {"rate": 1.0, "faults": ["timeout"], "latency_s": 1.0}
