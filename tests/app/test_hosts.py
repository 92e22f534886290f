"""OLLAMA_HOST read as Ollama reads it (the Python client's _parse_host is the reference), normalized at the edge
(Settings), or rejected with a message saying what is expected: never silently another host."""

from __future__ import annotations

import os

import pytest
from ollama._client import _parse_host

from app.hosts import HostError, implied_port_note, normalize_ollama_host
from app.settings import Settings, SettingsError, load_settings

AS_OLLAMA = [
    ("1.2.3.4", "http://1.2.3.4:11434"),
    ("1.2.3.4:56789", "http://1.2.3.4:56789"),
    (":56789", "http://127.0.0.1:56789"),
    ("gpu-box", "http://gpu-box:11434"),
    ("gpu-box:8080", "http://gpu-box:8080"),
    ("http://gpu-box", "http://gpu-box:80"),
    ("https://gpu-box", "https://gpu-box:443"),
    ("https://gpu-box:56789", "https://gpu-box:56789"),
    ("example.com/", "http://example.com:11434"),
    ("example.com:56789/path/", "http://example.com:56789/path"),
    ("https://example.com:56789/path", "https://example.com:56789/path"),
    ("[0001:002:003:0004::1]", "http://[0001:002:003:0004::1]:11434"),
    ("[0001:002:003:0004::1]:56789", "http://[0001:002:003:0004::1]:56789"),
    ("https://[0001:002:003:0004::1]", "https://[0001:002:003:0004::1]:443"),
    ("[::1]:11434/path", "http://[::1]:11434/path"),
    ("127.0.0.1:11434", "http://127.0.0.1:11434"),
]


@pytest.mark.parametrize(("raw", "expected"), AS_OLLAMA)
def test_forms_ollama_accepts_are_normalized_as_ollama_reads_them(raw: str, expected: str) -> None:
    assert normalize_ollama_host(raw) == expected
    assert _parse_host(raw) == expected  # the reference agrees
    assert normalize_ollama_host(expected) == expected  # idempotent: derived Settings re-validate it


def test_surrounding_spaces_and_the_scheme_case_do_not_matter() -> None:
    assert normalize_ollama_host("  127.0.0.1:11434  ") == "http://127.0.0.1:11434"
    assert normalize_ollama_host("HTTP://Gpu-Box:1") == "http://Gpu-Box:1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:11434", "http://127.0.0.1:11434"),
        ("http://0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[::]:11434", "http://[::1]:11434"),
        ("::1", "http://[::1]:11434"),  # a bare IPv6 address, as Ollama's own server accepts it
    ],
)
def test_bind_all_addresses_mean_this_machine(raw: str, expected: str) -> None:
    assert normalize_ollama_host(raw) == expected


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("gpu-box:99999", "port '99999'"),
        ("gpu-box:abc", "port 'abc'"),
        ("gpu-box:", "port after ':' is missing"),
        ("ftp://gpu-box", "http or https"),
        ("gpu box", "spaces or commas"),
        ("a:11434,b:11434", "spaces or commas"),
        ("http://user:pw@gpu-box", "user:password@"),
        ("gpu-box?x=1", "queries"),
        ("[::1", "not closed"),
        ("fe80::1:99999", "not an IPv6 address"),
        ("gpu_box!", "not a host name"),
    ],
)
def test_anything_else_is_rejected_with_what_is_expected(raw: str, why: str) -> None:
    with pytest.raises(HostError) as info:
        normalize_ollama_host(raw)
    assert why in str(info.value) and "expected host, host:port" in str(info.value)


def test_settings_normalize_at_the_edge_and_name_the_variable() -> None:
    assert Settings(ollama_host="gpu-box").ollama_host == "http://gpu-box:11434"
    assert load_settings({"OLLAMA_HOST": "[::1]:8080"}).ollama_host == "http://[::1]:8080"
    with pytest.raises(SettingsError, match=r"OLLAMA_HOST='gpu-box:0'.*port"):
        load_settings({"OLLAMA_HOST": "gpu-box:0"})


def test_a_port_that_came_from_the_scheme_is_pointed_out() -> None:
    note = implied_port_note(normalize_ollama_host("http://gpu-box"))
    assert note is not None and "port 80" in note and ":11434" in note
    assert implied_port_note(normalize_ollama_host("gpu-box")) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:11434,127.0.0.1:11435", "pool: http://127.0.0.1:11434, http://127.0.0.1:11435"),
        ("http://[::1", "error: invalid configuration: OLLAMA_HOST="),
        ("localhost:99999", "error: invalid configuration: OLLAMA_HOST="),
    ],
    ids=["pool", "unclosed-ipv6", "bad-port"],
)
def test_an_ollama_host_the_ollama_package_cannot_parse_does_not_break_the_import(value: str, expected: str) -> None:
    """`import ollama` parses OLLAMA_HOST for its module-level client and raises ValueError on a pool or a bad
    value; app.models imports it with such a value hidden, then puts it back for Settings to judge (a fresh
    process: ollama is already imported in this one)."""
    import subprocess
    import sys

    script = (
        "import os\n"
        "import app.models.factory, langchain_ollama\n"
        "assert os.environ['OLLAMA_HOST'] == " + repr(value) + ", 'OLLAMA_HOST was not put back'\n"
        "from app.settings import SettingsError, load_settings\n"
        "try:\n"
        "    print('pool: ' + ', '.join(load_settings().hosts))\n"
        "except SettingsError as exc:\n"
        "    print('error: ' + str(exc))\n"
    )
    env = {**os.environ, "OLLAMA_HOST": value}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout and "Traceback" not in done.stderr
