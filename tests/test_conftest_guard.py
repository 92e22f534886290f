"""The guard itself: loading the real model in an unmarked test fails loudly."""

from __future__ import annotations

import pytest

from app.embedded.engine import LlamaEngine
from app.settings import Settings


def test_real_model_load_is_refused_in_unit_tests():
    engine = LlamaEngine.from_settings(Settings(threads=1))
    with pytest.raises(AssertionError, match="real model"):
        list(engine.chat([{"role": "user", "content": "hi"}], format=None, options={}, stream=False))
