"""Hostile values in the environment or a settings file: each is one line of SettingsError naming the variable or
key, at load time; never a value accepted here that fails later (a NUL in a path, an empty API token, a seed no
backend takes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import SEED_MAX, Settings, SettingsError, load_settings


def _from_file(tmp_path: Path, line: str) -> Settings:
    path = tmp_path / "settings.toml"
    path.write_text(line + "\n", encoding="utf-8")
    return load_settings({}, path)


@pytest.mark.parametrize("key", ["home", "docs_dir", "labelled_data", "gguf", "policy", "trace_db", "model", "api_token"])
def test_a_nul_character_is_refused_naming_the_key(tmp_path: Path, key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        _from_file(tmp_path, f'{key} = "a\\u0000b"')
    message = str(caught.value)
    assert f"{key} in {tmp_path / 'settings.toml'}=" in message and "must not contain a NUL character" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", ["-1", "2147483648", "99999999999999999999999", "nan", "inf", "1.5", "x"])
def test_a_seed_no_backend_takes_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match=r"GUARDED_RAG_SEED="):
        load_settings({"GUARDED_RAG_SEED": value})


def test_the_seed_range_is_usable_to_its_end() -> None:
    assert load_settings({"GUARDED_RAG_SEED": "0"}).seed == 0
    assert load_settings({"GUARDED_RAG_SEED": str(SEED_MAX)}).seed == SEED_MAX


def test_a_blank_api_token_in_a_file_is_no_token(tmp_path: Path) -> None:
    # SecretStr('') was "a token": `serve` bound off loopback, and `Authorization: Bearer` (nothing after) matched it.
    assert _from_file(tmp_path, 'api_token = ""').api_token is None
    assert _from_file(tmp_path, 'api_token = "  "').api_token is None
    assert Settings(api_token="").api_token is None
    assert _from_file(tmp_path, 'api_token = "t0ken"').api_token is not None


@pytest.mark.parametrize("key", ["gguf", "policy", "fallback_model"])
def test_a_blank_optional_value_in_a_file_is_unset_as_in_the_environment(tmp_path: Path, key: str) -> None:
    # gguf = "" was Path("."): the working directory taken for a model file.
    assert getattr(_from_file(tmp_path, f'{key} = ""'), key) is None
    assert getattr(load_settings({f"GUARDED_RAG_{key.upper()}": ""}), key) is None


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('home = ""', "home in"),
        ('docs_dir = "  "', "docs_dir in"),
        ('model = "  "', "model in"),
        ('ollama_embed_model = ""', "ollama_embed_model in"),
        ('otel_service_name = " "', "otel_service_name in"),
        ("top_k = true", "top_k in"),
        ("timeout = false", "timeout in"),
        ("seed = true", "seed in"),
    ],
)
def test_an_empty_or_boolean_value_where_none_fits_is_refused(tmp_path: Path, line: str, says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        _from_file(tmp_path, line)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_values_around_the_new_checks_still_load(tmp_path: Path) -> None:
    settings = _from_file(
        tmp_path, 'model = " qwen2.5:7b "\ntop_k = 6\nredact_questions = true\ncors_origins = ["https://a.example"]'
    )
    assert (settings.model, settings.top_k, settings.redact_questions) == ("qwen2.5:7b", 6, True)
    assert settings.cors_origins == ("https://a.example",)
