"""The environment wins over a TOML settings file (load_settings' documented order) for where Ollama is too:
ollama_host (OLLAMA_HOST) and ollama_hosts (GUARDED_RAG_OLLAMA_HOSTS) are two names for one setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings


def _toml(tmp_path: Path, text: str) -> Path:
    cfg = tmp_path / "settings.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def test_ollama_host_in_the_environment_wins_over_a_pool_in_the_file(tmp_path: Path) -> None:
    cfg = _toml(tmp_path, 'ollama_hosts = ["gpu1:11434", "gpu2:11434"]\n')
    s = load_settings({"OLLAMA_HOST": "gpu3:11500"}, config_file=cfg)
    assert s.hosts == ("http://gpu3:11500",)
    assert s.ollama_host == "http://gpu3:11500"
    # without the variable the file's pool stands
    assert load_settings({}, config_file=cfg).hosts == ("http://gpu1:11434", "http://gpu2:11434")


def test_a_pool_in_ollama_host_replaces_the_files_other_pool(tmp_path: Path) -> None:
    """OLLAMA_HOST=a,b beside a file's `ollama_hosts` was refused as a contradiction: they are not set side by side."""
    cfg = _toml(tmp_path, 'ollama_hosts = ["gpu1:11434", "gpu2:11434"]\n')
    s = load_settings({"OLLAMA_HOST": "gpu3:1,gpu4:2"}, config_file=cfg)
    assert s.hosts == ("http://gpu3:1", "http://gpu4:2") and s.ollama_host == "http://gpu3:1"


def test_guarded_rag_ollama_hosts_in_the_environment_wins_over_a_files_ollama_host_pool(tmp_path: Path) -> None:
    cfg = _toml(tmp_path, 'ollama_host = "gpu1:11434,gpu2:11434"\n')
    s = load_settings({"GUARDED_RAG_OLLAMA_HOSTS": "gpu3:1,gpu4:2"}, config_file=cfg)
    assert s.hosts == ("http://gpu3:1", "http://gpu4:2") and s.ollama_host == "http://gpu3:1"


def test_both_names_in_one_source_that_disagree_are_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="OLLAMA_HOST"):
        load_settings({"OLLAMA_HOST": "a:1,b:2", "GUARDED_RAG_OLLAMA_HOSTS": "c:3,d:4"})
    cfg = _toml(tmp_path, 'ollama_host = "a:1,b:2"\nollama_hosts = ["c:3", "d:4"]\n')
    with pytest.raises(SettingsError, match="OLLAMA_HOST"):
        load_settings({}, config_file=cfg)
