"""What a setting's value means, one rule per kind of value: normalized as the app reads it, or refused with a
ValueError the model reports under the field's name (a NUL character, true/false for a number, an empty folder,
a URL of the wrong scheme). Plain functions over plain values: the model (model.py) applies them to its fields.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.hosts import normalize_ollama_hosts

CHECKOUT = Path(__file__).resolve().parents[2]  # the folder holding app/, data/ and (beside it) ../shared


def plain(value: object, *, number: bool) -> object:
    """What no setting can hold, refused here with the setting named, not deep inside a later call: a NUL character
    (a TOML "\\u0000": "embedded null byte" from the first open, or a header no server takes), and true/false for
    a number (`number`: the field holds one; TOML `top_k = true` was read as 1)."""
    items = value if isinstance(value, list | tuple) else (value,)
    if any("\0" in item for item in items if isinstance(item, str)):
        raise ValueError("must not contain a NUL character")
    if isinstance(value, bool) and number:
        raise ValueError("must be a number, not true or false")
    return value


def folder(value: object) -> object:
    """An empty path is "." (the working directory), not what anyone who wrote `home = ""` meant."""
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be empty")
    return value


def unset_if_blank(value: object) -> object:
    """Blank means unset, as in the environment (where a blank variable is ignored): `gguf = ""` was the working
    directory, and `api_token = ""` a token that `Authorization: Bearer ` matched."""
    return None if isinstance(value, str) and not value.strip() else value


def stripped(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def user_home(value: object) -> object:
    """ "~/rag" in a TOML file or an env file (no shell expands either) means the user's home, not a folder "~"."""
    return Path(value).expanduser() if isinstance(value, str | Path) and str(value).startswith("~") else value


def bundled(value: Path) -> Path:
    """A folder that ships with the checkout the app runs from (the input detectors learn from two of them):
    resolved against the working directory alone, `guarded-rag ask` run from anywhere else silently fell back to
    the injection patterns. A relative path is looked up in the working directory first, then in the checkout (an
    editable install, as `make install` makes)."""
    if value.is_absolute() or value.exists():
        return value
    beside_code = CHECKOUT / value
    return beside_code.resolve() if beside_code.exists() else value


def ollama_pool(data: object) -> object:
    """OLLAMA_HOST with commas is a pool: its entries go to ollama_hosts and the first stays ollama_host (every
    single-host reader keeps working). Setting both, differently, is a contradiction worth an error."""
    if not isinstance(data, dict):
        return data
    host = data.get("ollama_host")
    if isinstance(host, str) and "," in host:
        pool = normalize_ollama_hosts(host)
        given = data.get("ollama_hosts")
        if given and normalize_ollama_hosts(given) != pool:
            raise ValueError("OLLAMA_HOST lists several hosts and GUARDED_RAG_OLLAMA_HOSTS lists others: set one of them")
        data = {**data, "ollama_hosts": pool, "ollama_host": pool[0]}
    elif data.get("ollama_hosts"):
        pool = normalize_ollama_hosts(data["ollama_hosts"])
        data = {**data, "ollama_hosts": pool, "ollama_host": pool[0]}
    return data


def host_list(value: object) -> object:
    if isinstance(value, str | list | tuple):
        return normalize_ollama_hosts(value) if value else ()
    return value


def origin_list(value: object) -> object:
    if isinstance(value, str):  # the environment gives "https://a.example,https://b.example"
        value = value.split(",")
    if isinstance(value, list | tuple):  # a TOML list: each origin as a browser sends it (no trailing slash)
        return tuple(o.strip().rstrip("/") if isinstance(o, str) else o for o in value if not isinstance(o, str) or o.strip())
    return value


def trace_location(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme and scheme not in ("postgresql", "postgres"):
        raise ValueError("must be a SQLite file path or a postgresql:// URL")
    return value if scheme else os.path.expanduser(value)  # a file "~/traces.sqlite3" is in the user's home


def otlp_url(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL (OTLP over HTTP)")
    return value
