from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings, SettingsError, env_name, load_settings, unknown_variables, with_config_file


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


def test_a_misspelt_key_of_the_config_file_is_named_with_the_one_meant(tmp_path: Path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("topk = 3\nfrobnicate = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings({}, config_file=cfg)
    assert str(caught.value) == (
        f"invalid configuration: topk in {cfg} is not a setting (did you mean top_k?); frobnicate in {cfg} is not a setting"
    )


def test_a_profile_or_override_may_use_a_settings_other_name(tmp_path: Path):
    """trace_db is trace_store's name in a TOML file: merged onto the base settings it used to lose to the base's
    trace_store (with_overrides) or be refused as "not a setting" (a serve --profile file)."""
    cfg = tmp_path / "p.toml"
    cfg.write_text(f'trace_db = "{tmp_path / "other.sqlite3"}"\n', encoding="utf-8")
    base = Settings(trace_store=str(tmp_path / "base.sqlite3"))
    assert with_config_file(base, cfg).trace_store == str(tmp_path / "other.sqlite3")
    assert base.with_overrides(trace_db="x.sqlite3").trace_store == "x.sqlite3"
    cfg.write_text("trace_dbs = 1\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"trace_dbs in .* is not a setting \(did you mean trace_db\?\)"):
        with_config_file(base, cfg)


def test_frozen_and_every_field_documented():
    s = Settings()
    with pytest.raises(ValidationError, match="frozen"):
        s.top_k = 9  # type: ignore[misc]
    assert all(f.description for f in Settings.model_fields.values())
    with pytest.raises(ValidationError, match="temperature"):
        s.with_overrides(temperature=5)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("HTTP://chroma.internal:8000/", "http://chroma.internal:8000"),
        ("https://proxy.example:443/chroma", "https://proxy.example:443/chroma"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_chroma_url_is_normalized(url: str, expected: str) -> None:
    assert load_settings({"GUARDED_RAG_CHROMA_URL": url}).chroma_url == expected


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("chroma:8000", "scheme must be http"),
        ("http://chroma", "port is missing"),
        ("http://chroma:0", "from 1 to 65535"),
        ("http://user@chroma:8000", "user@"),
        ("ftp://chroma:8000", "scheme must be http"),
    ],
)
def test_a_bad_chroma_url_names_the_variable_and_the_expected_form(url: str, why: str) -> None:
    with pytest.raises(SettingsError, match="GUARDED_RAG_CHROMA_URL") as caught:
        load_settings({"GUARDED_RAG_CHROMA_URL": url})
    assert why in str(caught.value) and "http(s)://host:port" in str(caught.value)


def test_chroma_token_is_secret_and_blank_means_none() -> None:
    s = load_settings({"GUARDED_RAG_CHROMA_URL": "http://c:8000", "GUARDED_RAG_CHROMA_TOKEN": "s3cret"})
    assert s.chroma_token is not None and s.chroma_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s) and "s3cret" not in s.model_dump_json()
    assert load_settings({"GUARDED_RAG_CHROMA_TOKEN": "  "}).chroma_token is None
    assert load_settings({}).chroma_url is None  # the local directory stays the default


def test_ollama_host_with_commas_is_a_pool_normalized_item_by_item() -> None:
    s = load_settings({"OLLAMA_HOST": "gpu1:11434, http://gpu2:11500 ,:11600"})
    assert s.hosts == ("http://gpu1:11434", "http://gpu2:11500", "http://127.0.0.1:11600")
    assert s.ollama_host == "http://gpu1:11434"  # single-host readers see the first
    same = load_settings({"GUARDED_RAG_OLLAMA_HOSTS": "gpu1:11434,gpu2:11500"})
    assert same.hosts == ("http://gpu1:11434", "http://gpu2:11500") and same.ollama_host == "http://gpu1:11434"
    assert load_settings({}).hosts == ("http://127.0.0.1:11434",)
    assert s.with_overrides(temperature=0.1).hosts == s.hosts
    assert s.with_overrides(ollama_host="solo:1").hosts == ("http://solo:1",)


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"OLLAMA_HOST": "gpu1,gpu1:11434"}, "twice"),
        ({"OLLAMA_HOST": "gpu1,,gpu2"}, "empty entry"),
        ({"OLLAMA_HOST": "gpu1,gpu2:99999"}, "from 1 to 65535"),
        ({"GUARDED_RAG_OLLAMA_HOSTS": "gpu1, gpu 2"}, "spaces or commas"),
        ({"OLLAMA_HOST": "a,b", "GUARDED_RAG_OLLAMA_HOSTS": "c,d"}, "set one of them"),
    ],
)
def test_a_bad_pool_says_what_is_wrong(env: dict[str, str], why: str) -> None:
    with pytest.raises(SettingsError, match="OLLAMA_HOST") as caught:
        load_settings(env)
    assert why in str(caught.value)


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


def test_malloc_arena_max_is_glibcs_own_variable():
    assert load_settings({}).malloc_arena_max == 2
    assert load_settings({"MALLOC_ARENA_MAX": "4"}).malloc_arena_max == 4
    assert load_settings({"MALLOC_ARENA_MAX": "0"}).malloc_arena_max == 0  # glibc's default
    with pytest.raises(SettingsError, match="MALLOC_ARENA_MAX"):
        load_settings({"MALLOC_ARENA_MAX": "-1"})


def test_bundled_folders_are_found_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Run from elsewhere, the defaults still reach the checkout's data: the input detectors learn from it, and
    # without it the injection guard silently fell back to patterns alone.
    monkeypatch.chdir(tmp_path)
    s = Settings()
    assert s.labelled_data.is_absolute() and (s.labelled_data / "injection.jsonl").is_file()
    assert s.docs_dir.is_absolute() and any(s.docs_dir.iterdir())
    assert s.labelled_data == s.docs_dir.parent / "eval"


def test_a_relative_folder_in_the_working_directory_wins_and_a_missing_one_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "eval").mkdir(parents=True)
    assert Settings().labelled_data == Path("data/eval")  # the user's own folder, as given
    assert Settings(labelled_data=Path("no/such/sets")).labelled_data == Path("no/such/sets")  # reported later, not guessed


@pytest.mark.parametrize(
    ("var", "meant"),
    [
        ("GUARDED_RAG_TOPK", "GUARDED_RAG_TOP_K"),
        ("GUARDED_RAG_TRACE_STORE", "GUARDED_RAG_TRACE_DB"),
        ("GUARDED_RAG_Model", "GUARDED_RAG_MODEL"),  # variable names are case-sensitive: this one is not read
        ("GUARDED_RAG_EMBEDER", "GUARDED_RAG_EMBEDDER"),
    ],
)
def test_a_misspelt_variable_is_named_with_the_one_meant(var, meant):
    assert unknown_variables({var: "1", "PATH": "/bin"}) == (
        f"{var} is not a guarded-rag setting and is ignored (did you mean {meant}?)",
    )


def test_every_variable_the_app_reads_is_known_and_nothing_else_is_named():
    known = {env_name(f): "x" for f in Settings.model_fields} | {"GUARDED_RAG_CONFIG": "c.toml", "HOME": "/root"}
    assert unknown_variables(known) == ()
    (message,) = unknown_variables({"GUARDED_RAG_FROBNICATE": "1"})
    assert message.startswith("GUARDED_RAG_FROBNICATE is not a guarded-rag setting") and "did you mean" not in message
