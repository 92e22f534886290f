"""Where settings come from: (lowest to highest priority) the model's defaults, a TOML file, then the environment.

The environment (and an optional TOML file) is read here, at the edge, and nowhere else; everything below
receives plain values or built objects. A bad value is a SettingsError naming the variable or the file's key.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from app.settings.model import FIELD_OF, Settings, SettingsError, merged
from app.settings.names import CONFIG_FILE_ENV, ENV_PREFIX, FOREIGN_ENV, TOOLING_ENV, env_var
from guardrails.toml_file import TomlFileError, read_toml_file

_ENV_NAMES: dict[str, str] = FOREIGN_ENV | {name: env_var(name) for name in Settings.model_fields if name not in FOREIGN_ENV}


def unknown_variables(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """One message per GUARDED_RAG_* variable that no setting reads, with the likeliest intended name.

    A misspelt variable (GUARDED_RAG_TOPK, GUARDED_RAG_TRACE_STORE) is otherwise ignored without a word, and the
    app runs on a default the user believes they changed. The CLI warns on stderr; `doctor` reports a problem.
    """
    environ = os.environ if environ is None else environ
    known = {*_ENV_NAMES.values(), CONFIG_FILE_ENV, *TOOLING_ENV}
    names = sorted(v.removeprefix(ENV_PREFIX) for v in known if v.startswith(ENV_PREFIX))  # compared without it
    messages = []
    for var in sorted(v for v in environ if v.upper().startswith(ENV_PREFIX) and v not in known):
        close = difflib.get_close_matches(var.upper().removeprefix(ENV_PREFIX), names, n=1, cutoff=0.6)
        hint = f" (did you mean {ENV_PREFIX}{close[0]}?)" if close else " (the README's Configuration table lists the settings)"
        messages.append(f"{var} is not a guarded-rag setting and is ignored{hint}")
    return tuple(messages)


def env_name(field: str) -> str:
    return _ENV_NAMES[field]


def read_config_file(path: Path) -> dict[str, object]:
    """A TOML settings file as a table (keys = Settings field names); validated by whoever applies it. Read by
    read_toml_file: a folder, a pipe, a device, a file over its bound or nested too deeply is a SettingsError."""
    try:
        return read_toml_file(path)
    except TomlFileError as exc:
        raise SettingsError(f"cannot read config file {path}: {exc}") from None


def load_settings(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Settings from (lowest to highest priority) defaults, a TOML file, then the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    path = config_file or (Path(environ[CONFIG_FILE_ENV]).expanduser() if environ.get(CONFIG_FILE_ENV) else None)
    if path is not None:
        for key, value in read_config_file(path).items():
            # under its field's name (trace_db -> trace_store), so the environment's value replaces it: beside it, the
            # alias was refused as "not a setting"
            values[FIELD_OF.get(key, key)] = value
            sources[FIELD_OF.get(key, key)] = f"{key} in {path}"
    from_env: dict[str, object] = {
        field: raw.strip() for field, var in _ENV_NAMES.items() if (raw := environ.get(var)) is not None and raw.strip()
    }
    sources.update({field: _ENV_NAMES[field] for field in from_env})
    return _validated(_env_over_file(values, from_env), sources)


_HOST_FIELDS = ("ollama_host", "ollama_hosts")


def _env_over_file(from_file: Mapping[str, object], from_env: Mapping[str, object]) -> dict[str, object]:
    """The file's values with the environment's over them. ollama_host and ollama_hosts are two names for one
    setting (where Ollama is): the environment naming one of them replaces the file's other too. Without that,
    OLLAMA_HOST=gpu3 lost to a file's `ollama_hosts = [...]` (and OLLAMA_HOST=a,b beside it was an error)."""
    named = [field for field in _HOST_FIELDS if field in from_env]
    dropped = set(_HOST_FIELDS) - set(named) if len(named) == 1 else set()
    return {**{k: v for k, v in from_file.items() if k not in dropped}, **from_env}


def with_config_file(base: Settings, path: Path) -> Settings:
    """`base` with the settings of a TOML file applied (a `serve --profile`); SettingsError names the file's key."""
    changes = read_config_file(path)
    return _validated(merged(base, changes), {FIELD_OF.get(key, key): f"{key} in {path}" for key in changes})


def _validated(values: dict[str, object], sources: Mapping[str, str]) -> Settings:
    """Settings from `values`, or SettingsError naming where each bad value came from (`sources`: key -> where)."""
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            if not err["loc"]:  # a check across fields (the Ollama pool): its message names the variables
                problems.append(f"OLLAMA_HOST / GUARDED_RAG_OLLAMA_HOSTS: {err['msg']}")
                continue
            key = str(err["loc"][0])
            where = sources.get(key, key)
            if err["type"] == "extra_forbidden":  # a key of the config file that is no setting: likely a misspelling
                close = difflib.get_close_matches(key, [*Settings.model_fields, *FIELD_OF], n=1, cutoff=0.6)
                problems.append(f"{where} is not a setting" + (f" (did you mean {close[0]}?)" if close else ""))
                continue
            problems.append(f"{where}={values.get(key)!r}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
