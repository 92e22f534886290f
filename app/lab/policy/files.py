"""Policies in and out of the lab: edits (thresholds and enabled flags from a form) validated the way the Settings
page validates them, and a policy written as TOML that GUARDED_RAG_POLICY (or `policy replay --policy`) loads.

TOML is written with tomli-w (tomllib only reads). Part of the policy lab (app/lab/policy); `calibrate` and
`policy sweep --out` write their policies through `write_policy` too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from app import GuardrailPolicy
from guardrails.toml_file import TomlFileError, parse_toml, toml_text

HEADER = "# Guardrail policy written by the guarded-rag policy lab. Use it with GUARDED_RAG_POLICY=<this file>.\n"


def values_of(policy: GuardrailPolicy, name: str) -> dict[str, Any]:
    """A guardrail's editable values: its enabled flag and the parameters the policy sets."""
    return {"enabled": policy.is_enabled(name), **policy.params(name)}


def edited_policy(
    base: GuardrailPolicy, edits: Mapping[str, Mapping[str, Any]]
) -> tuple[GuardrailPolicy, dict[str, dict[str, Any]]]:
    """`base` with the values in `edits` that differ from it, validated (PolicyError, a ValueError, names the
    guardrail and field), and those differences."""
    changed: dict[str, dict[str, Any]] = {}
    for name, values in edits.items():
        current = values_of(base, name)
        diff = {k: v for k, v in values.items() if current.get(k) != v}
        if diff:
            changed[name] = diff
    edited = base.with_overrides(changed) if changed else base
    return edited, changed


def policy_toml(policy: GuardrailPolicy, *, note: str = "", header: str = HEADER) -> str:
    """The whole policy as TOML (every guardrail it names, enabled flag first) after `header` and `note` (each of
    the note's non-blank lines a comment)."""
    table = {"guardrails": {name: values_of(policy, name) for name in policy.guardrails}}
    comment = "".join(f"# {line}\n" for line in note.splitlines() if line.strip())
    return header + comment + "\n" + tomli_w.dumps(table)


def replaceable_policy(path: Path) -> bool:
    """Whether writing a policy to `path` loses nothing: no file there, an empty one, or a policy TOML (a
    [guardrails] table). Found by a walkthrough: `calibrate --out ~/.guarded-rag/traces.sqlite3` (and `policy sweep
    --out` alike) replaced the trace database with the policy (every later command: "file is not a database").
    Read as every policy is (guardrails/toml_file.py): a file too large, not text, not TOML or nested too deeply
    (that crashed here) is no policy, so it is left as it is."""
    try:
        text = toml_text(path)
    except TomlFileError as exc:
        # nothing there, or /dev/null (a folder: the write says so, and the CLI checks it first); unreadable here:
        # writing it says why (the CLI checked it can be written)
        return exc.kind in ("missing", "not_a_file", "unreadable")
    if not text.strip():
        return True
    try:
        parsed = parse_toml(text)
    except TomlFileError:
        return False
    return isinstance(parsed.get("guardrails"), dict)


def write_policy(path: Path, text: str) -> None:
    """Write a policy file whole or not at all (a temporary file beside it, renamed over it): a run stopped half
    way leaves the earlier policy, not a cut-off one a later GUARDED_RAG_POLICY fails to load. FileExistsError when
    `path` holds something else (replaceable_policy); a special file such as /dev/null is written in place."""
    if not replaceable_policy(path):
        raise FileExistsError(f"{path} is there and is not a guardrail policy, so it is left as it is; name a new file")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_file():
        path.write_text(text, encoding="utf-8")
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
