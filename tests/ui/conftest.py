"""AppTest fixtures: the real app (or one page of it) with a GuardedRAG built on scripted fakes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.fake_service import make_service

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = "smollm2:135m"
TIMEOUT = 30


def reply(answer: str, *citations: str) -> str:
    return json.dumps({"answer": answer, "citations": list(citations)}, ensure_ascii=False)


GOOD = reply("Ollama listens on port 11434 by default.", "S1")


def page_script(page: str) -> None:
    """Runs one page through the app's own sidebar and error boundary (AppTest cannot switch to callable pages)."""
    import importlib

    import streamlit_app

    streamlit_app.sidebar()
    streamlit_app.guarded(importlib.import_module(f"views.{page}").render)()


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., tuple[AppTest, Any, Any]]:
    """make_app(page=None, scripts={model: [...]}, **settings) -> (AppTest already run, service, factory)."""

    def build(page: str | None = None, *, scripts: dict[str, list[Any]] | None = None, run: bool = True, **settings: Any):
        svc, factory = make_service(tmp_path, scripts=scripts or {}, **settings)
        if page is None:
            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
        else:
            at = AppTest.from_function(page_script, args=(page,), default_timeout=TIMEOUT)
        at.session_state["service"] = svc
        if run:
            at.run(timeout=TIMEOUT)
        return at, svc, factory

    return build


def texts(at: AppTest) -> str:
    """Every markdown, caption, alert and badge value on the page, joined (for substring assertions)."""
    parts: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "subheader"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def chosen(kind: str, model: str, reason: str, fix: str | None = None, host: str | None = None) -> Callable[[Any], Any]:
    """A backend chooser (make_app's `choose`) that always picks this backend, as the probe would report it."""
    from app.models.backend import BackendChoice

    def choose(settings: Any) -> BackendChoice:
        return BackendChoice(kind=kind, model=model, host=host or settings.ollama_host, reason=reason, fix=fix)  # type: ignore[arg-type]

    return choose
