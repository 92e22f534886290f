"""Bug hunt: settings precedence and normalization that depended on where a value came from (a TOML file's
other name for a setting, a TOML list, a path written with ~)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings, load_settings


def test_the_environment_wins_over_a_toml_file_that_uses_trace_db(tmp_path: Path) -> None:
    """trace_db is trace_store's documented TOML name; with GUARDED_RAG_TRACE_DB also set, loading failed with
    "trace_db in <file> is not a setting (did you mean trace_db?)"."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'trace_db = "{tmp_path / "toml.sqlite3"}"\n', encoding="utf-8")
    env = {"GUARDED_RAG_TRACE_DB": str(tmp_path / "env.sqlite3")}
    assert load_settings(env, config_file=cfg).trace_db == tmp_path / "env.sqlite3"
    assert load_settings({}, config_file=cfg).trace_db == tmp_path / "toml.sqlite3"


def test_cors_origins_are_normalized_from_a_toml_list_as_from_the_environment(tmp_path: Path) -> None:
    """A browser's Origin has no trailing slash: the environment's value was cut to match, a TOML list was not."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('cors_origins = ["http://a.example/", " http://b.example "]\n', encoding="utf-8")
    from_env = load_settings({"GUARDED_RAG_CORS_ORIGINS": "http://a.example/, http://b.example"})
    assert load_settings({}, config_file=cfg).cors_origins == from_env.cors_origins == ("http://a.example", "http://b.example")
    assert Settings().with_overrides(cors_origins=["http://a.example/"]).cors_origins == ("http://a.example",)


@pytest.mark.parametrize("field", ["home", "docs_dir", "labelled_data", "shared_data", "policy"])
def test_a_path_written_with_a_tilde_is_the_users_home(field: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A TOML file (or an env file, which no shell expands) saying home = "~/rag" made a folder named "~" in the
    working directory."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'{field} = "~/rag"\n', encoding="utf-8")
    assert getattr(load_settings({}, config_file=cfg), field) == tmp_path / "rag"
    var = "GUARDED_RAG_" + field.upper()
    assert getattr(load_settings({var: "~/rag"}), field) == tmp_path / "rag"
    assert getattr(load_settings({"GUARDED_RAG_CONFIG": "~/c.toml"}), field) == tmp_path / "rag"  # the file itself too


def test_a_trace_file_written_with_a_tilde_is_in_the_users_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_settings({"GUARDED_RAG_TRACE_DB": "~/t.sqlite3"}).trace_db == tmp_path / "t.sqlite3"
    assert load_settings({"GUARDED_RAG_TRACE_DB": "postgresql://u@h/db"}).trace_url == "postgresql://u@h/db"
