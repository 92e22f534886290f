"""Test-wide rules: real model loads are impossible outside tests marked for them.

Unit tests run on scripted fakes; only `integration`, `gate` and `e2e` tests may load llama.cpp. (The socket
side is enforced by `make test-unit`: pytest-socket allows loopback only.)
"""

from __future__ import annotations

import pytest

REAL_MODEL_MARKS = {"integration", "gate", "e2e"}


@pytest.fixture(autouse=True)
def _no_real_model_in_unit_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if REAL_MODEL_MARKS & {m.name for m in request.node.iter_markers()}:
        return
    try:
        import llama_cpp
    except ImportError:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a unit test tried to load a real model; use the scripted fakes or mark it integration")

    monkeypatch.setattr(llama_cpp, "Llama", refuse)
