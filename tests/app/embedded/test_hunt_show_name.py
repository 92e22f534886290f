"""The embedded /api/show accepts the older `name` field, as Ollama and our own serve endpoint do (`model` or
`name`): a client sending only `name` got a 400 "model is required". The transport is the real one; the engine
is scripted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.embedded import EmbeddedOllamaTransport
from tests.ollama_double import ScriptedEngine


def show(body: dict[str, Any]) -> httpx.Response:
    engine = ScriptedEngine()
    with httpx.Client(base_url="http://embedded.ollama", transport=EmbeddedOllamaTransport(engine), timeout=5) as c:
        return c.post("/api/show", json=body)


@pytest.mark.parametrize(
    "body", [{"name": "smollm2"}, {"name": "smollm2:135m", "verbose": True}, {"model": "", "name": "smollm2"}]
)
def test_show_accepts_the_older_name_field(body: dict[str, Any]) -> None:
    response = show(body)
    assert response.status_code == 200, response.text
    assert response.json()["details"]["parameter_size"] == "135M"


def test_model_wins_over_name_and_an_unknown_name_is_a_404() -> None:
    assert show({"model": "smollm2", "name": "llama3"}).status_code == 200
    missing = show({"name": "llama3"})
    assert missing.status_code == 404 and "llama3" in missing.json()["error"]


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"model": None, "name": None}])
def test_show_without_either_is_a_400(body: dict[str, Any]) -> None:
    response = show(body)
    assert response.status_code == 400 and response.json()["error"] == "model is required"


def test_a_name_that_is_not_text_is_a_400() -> None:
    response = show({"name": 5})
    assert response.status_code == 400 and "model" in response.json()["error"]
