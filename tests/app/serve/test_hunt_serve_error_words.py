"""A 4xx reply says what was wrong with the request in plain words: never a Python exception or type name.

Found by a hunt: JSON nested thousands deep was a 400 "invalid JSON in the request body: RecursionError: maximum
recursion depth exceeded ...", a 5,000-digit number one that told the client to call sys.set_int_max_str_digits(),
and `"model": 1` a 400 "model must be a string, not int"."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from app.serve.json_body import MAX_DEPTH, depth_exceeds
from tests.app.serve.conftest import Q

PYTHONISMS = re.compile(
    r"[A-Z][a-z]+(Error|Exception)\b|Traceback|sys\.|\bcodec\b|\b(NoneType|int|float|str|list|dict|bool)\b|recursion"
)
CHAT = '{{"model": "guarded-rag", "messages": [{{"role": "user", "content": "{q}"}}]{extra}}}'


def chat(extra: str) -> bytes:
    return CHAT.format(q=Q, extra=extra).encode()


CASES = [  # (body, path, the words the reply must say)
    (b"[" * 100_000, "/api/chat", f"nested too deeply (more than {MAX_DEPTH} levels)"),
    (b"[" * 100_000, "/v1/chat/completions", f"nested too deeply (more than {MAX_DEPTH} levels)"),
    (b"[" * 900 + b"]" * 900, "/api/chat", "nested too deeply"),  # parses; recursed later (utf8_safe_tree)
    (chat(', "options": ' + "[" * 500 + "]" * 500), "/api/chat", "nested too deeply"),
    (b'{"model": ' + b"1" * 5000 + b"}", "/api/chat", "a number has more than 4300 digits"),
    (b'{"model": "\xff"}', "/api/chat", "not UTF-8 text (byte 0xff at offset 11)"),
    (b'{"model": ', "/api/chat", "expecting value at line 1, column 11"),
    (b"[1, 2", "/v1/chat/completions", "expecting ',' delimiter at line 1, column 6"),
    (b'{"a": 1} x', "/v1/ask", "extra data at line 1, column 10"),
    (b'{"model": 1, "messages": []}', "/api/show", "model must be a string, not a number"),
    (b'{"model": 1, "messages": []}', "/api/chat", "model: Input should be a valid string"),
    (b'{"model": null, "prompt": "x"}', "/api/show", "model is required"),
    (b'{"model": {"a": 1}}', "/api/show", "model must be a string, not an object"),
    (b'{"model": [1]}', "/api/show", "model must be a string, not an array"),
    (b'{"model": true}', "/api/show", "model must be a string, not a boolean"),
    (chat(', "options": {"temperature": "0.5"}'), "/api/chat", "temperature must be a number, not a string"),
    (chat(', "options": {"seed": [1]}'), "/api/chat", "seed must be a number, not an array"),
    (chat(', "options": {"temperature": {}}'), "/api/chat", "temperature must be a number, not an object"),
    (chat(', "options": {"seed": false}'), "/api/chat", "seed must be a number, not a boolean"),
]


@pytest.mark.parametrize(("body", "path", "says"), CASES)
def test_a_bad_body_is_a_4xx_in_plain_words(serve, caplog, body, path, says):
    run = serve()
    with caplog.at_level(logging.INFO, logger="guarded_rag.serve"):
        r = httpx.post(run.url + path, content=body, headers={"content-type": "application/json"})
    error = r.json()["error"]
    message = error["message"] if isinstance(error, dict) else error
    assert 400 <= r.status_code < 500 and says in message, message
    assert not PYTHONISMS.search(message), message
    assert run.svc.traces.count() == 0 and run.model.calls == []


def test_the_log_keeps_the_exception_for_operators(serve, caplog):
    run = serve()
    with caplog.at_level(logging.INFO, logger="guarded_rag.serve"):
        httpx.post(run.url + "/api/chat", content=b"[" * 100_000)
        httpx.post(run.url + "/api/chat", content=b'{"model": ' + b"1" * 5000 + b"}")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RecursionError" in logged and "set_int_max_str_digits" in logged


@pytest.mark.parametrize(
    ("value", "limit", "exceeds"),
    [
        (1, 0, False),
        ([], 0, True),
        ([], 1, False),
        ({"a": [{"b": []}]}, 3, True),
        ({"a": [{"b": []}]}, 4, False),
        ([[1, [2]], {"x": "[[[["}], 3, False),  # brackets in strings are text
        (_deep := [[[[[]]]]], 5, False),
        (_deep, 4, True),
    ],
)
def test_depth_is_measured_without_recursion(value, limit, exceeds):
    assert depth_exceeds(value, limit) is exceeds


def test_depth_of_a_very_deep_value_does_not_recurse():
    value: list = []
    for _ in range(50_000):
        value = [value]
    assert depth_exceeds(value, MAX_DEPTH) and not depth_exceeds(value, 50_001)
