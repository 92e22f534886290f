"""What the app reads from Ollama to adapt a rung: versions, /api/show, thinking and format settings."""

from __future__ import annotations

from app.models.info import ModelInfo, from_show, parse_version, rung_setup, supports_schema_format, thinking_setting


def test_versions() -> None:
    assert parse_version("0.4.7") == (0, 4, 7) and parse_version("v0.12.3") == (0, 12, 3)
    assert parse_version("0.5.0-rc1") == (0, 5, 0) and parse_version("garbage") is None
    assert not supports_schema_format("0.4.7") and supports_schema_format("0.5.0") and supports_schema_format("0.12.0")
    assert supports_schema_format(None) and supports_schema_format("0.0.0-embedded")


def test_thinking_settings() -> None:
    assert thinking_setting(ModelInfo(model="qwen3:4b", capabilities=("completion", "thinking"))) is False
    assert thinking_setting(ModelInfo(model="gpt-oss:20b", capabilities=("completion", "thinking"))) == "low"
    assert thinking_setting(ModelInfo(model="my-oss", family="gptoss", capabilities=("thinking",))) == "low"
    assert thinking_setting(ModelInfo(model="qwen2.5:3b", capabilities=("completion",))) is None


def test_from_show_reads_context_length_capabilities_and_family() -> None:
    show = {
        "details": {"family": "qwen3"},
        "modelinfo": {"general.architecture": "qwen3", "qwen3.context_length": 40960},
        "capabilities": ["completion", "thinking"],
    }
    info = from_show("qwen3:4b", show)
    assert (info.context_length, info.capabilities, info.family) == (40960, ("completion", "thinking"), "qwen3")


def test_rung_setup_explains_itself() -> None:
    setup = rung_setup(ModelInfo(model="tiny", context_length=1024), version="0.4.7", num_ctx=2048)
    assert not setup.schema_format and setup.context_window == 1024 and setup.reasoning is None
    assert any("predates JSON-schema" in n for n in setup.notes) and any("1024 tokens" in n for n in setup.notes)
    big = rung_setup(ModelInfo(model="qwen2.5:3b", context_length=32768), version="0.12.0", num_ctx=2048)
    assert big.schema_format and big.context_window is None and big.notes == ()
