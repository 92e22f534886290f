from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings, SettingsError, env_name, load_settings


def test_defaults_without_environment():
    s = load_settings({})
    assert s.backend == "auto" and s.ollama_host == "http://127.0.0.1:11434" and s.timeout > 0


def test_environment_names_and_values():
    s = load_settings(
        {
            "OLLAMA_HOST": "gpu-box:11434",
            "GUARDED_RAG_BACKEND": "embedded",
            "GUARDED_RAG_TOP_K": "6",
            "GUARDED_RAG_FALLBACK_MODEL": "llama3.2:1b",
        }
    )
    assert s.ollama_host == "http://gpu-box:11434" and s.backend == "embedded" and s.top_k == 6
    assert s.fallback_model == "llama3.2:1b"
    assert env_name("ollama_host") == "OLLAMA_HOST" and env_name("num_ctx") == "GUARDED_RAG_NUM_CTX"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GUARDED_RAG_BACKEND": "cloud"}, "GUARDED_RAG_BACKEND"),
        ({"GUARDED_RAG_TIMEOUT": "-1"}, "GUARDED_RAG_TIMEOUT"),
        ({"GUARDED_RAG_TOP_K": "many"}, "GUARDED_RAG_TOP_K"),
        ({"GUARDED_RAG_COLLECTION": "a b"}, "GUARDED_RAG_COLLECTION"),
    ],
)
def test_invalid_value_names_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(env)


def test_toml_file_then_environment(tmp_path: Path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('model = "qwen2.5:7b"\ntop_k = 3\n', encoding="utf-8")
    s = load_settings({"GUARDED_RAG_TOP_K": "5"}, config_file=cfg)
    assert s.model == "qwen2.5:7b" and s.top_k == 5
    cfg.write_text("top_k = 0\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="top_k in"):
        load_settings({}, config_file=cfg)


def test_frozen_and_every_field_documented():
    s = Settings()
    with pytest.raises(ValidationError, match="frozen"):
        s.top_k = 9  # type: ignore[misc]
    assert all(f.description for f in Settings.model_fields.values())
    with pytest.raises(ValidationError, match="temperature"):
        s.with_overrides(temperature=5)


def test_serve_settings_from_the_environment():
    s = load_settings(
        {
            "GUARDED_RAG_API_TOKEN": "s3cret",
            "GUARDED_RAG_MAX_INFLIGHT": "4",
            "GUARDED_RAG_CORS_ORIGINS": "http://a.example/, http://b.example",
        }
    )
    assert s.api_token is not None and s.api_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s) and "s3cret" not in str(s.model_dump())  # never printed by accident
    assert s.max_inflight == 4 and s.cors_origins == ("http://a.example", "http://b.example")
    assert s.with_overrides(top_k=3).api_token == s.api_token
    with pytest.raises(SettingsError, match="GUARDED_RAG_MAX_INFLIGHT"):
        load_settings({"GUARDED_RAG_MAX_INFLIGHT": "0"})


def test_trace_store_is_a_file_or_a_postgres_url(tmp_path: Path):
    default = load_settings({"GUARDED_RAG_HOME": str(tmp_path)})
    assert default.trace_db == tmp_path / "traces.sqlite3" and default.trace_url is None
    on_file = load_settings({"GUARDED_RAG_TRACE_DB": str(tmp_path / "shared.db")})
    assert on_file.trace_db == tmp_path / "shared.db" and on_file.trace_url is None
    url = "postgresql://rag:pw@db.internal:5432/traces"
    assert load_settings({"GUARDED_RAG_TRACE_DB": url}).trace_url == url
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'trace_db = "{url}"\n', encoding="utf-8")  # the TOML key is the variable's name, as for the others
    assert load_settings({}, config_file=cfg).trace_url == url
    with pytest.raises(SettingsError, match=r"GUARDED_RAG_TRACE_DB.*postgresql:// URL"):
        load_settings({"GUARDED_RAG_TRACE_DB": "mysql://db/traces"})


def test_otlp_export_follows_the_standard_variables():
    assert load_settings({}).otel_traces_url is None  # off by default
    on = load_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:6006/", "OTEL_SERVICE_NAME": "rag-eu"})
    assert on.otel_traces_url == "http://127.0.0.1:6006/v1/traces" and on.otel_service_name == "rag-eu"
    both = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:4318/custom"}
    assert load_settings(both).otel_traces_url == "http://b:4318/custom"  # the per-signal one wins, used as given
    assert load_settings({**both, "OTEL_SDK_DISABLED": "true"}).otel_traces_url is None
    assert load_settings({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "GUARDED_RAG_OTEL_EXPORT_TEXT": "1"}).otel_export_text


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        ({"GUARDED_RAG_OTEL_QUEUE_SIZE": "10"}, "GUARDED_RAG_OTEL_QUEUE_SIZE"),
    ],
)
def test_invalid_telemetry_settings_name_the_variable(env, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(env)
