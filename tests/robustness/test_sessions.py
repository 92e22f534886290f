"""Eight Streamlit sessions asking at once, in real Chromium, against one fresh app process: each session sees only its
own conversation, and every request is traced under its own session. The model is a scripted Ollama on loopback
(slow enough that the eight requests overlap), so what is tested is the app's concurrency, not model speed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from app import TraceFilter, TraceStore
from tests.e2e.test_browser import ARGS, CHROMIUM, ROOT, free_port, wait_healthy

pytestmark = pytest.mark.robustness
if not CHROMIUM.exists():
    pytest.skip("needs Debian chromium at /usr/bin/chromium (`make browser`)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")

SERVER_FLAGS = (
    "--server.address",
    "127.0.0.1",
    "--server.headless",
    "true",
    "--browser.gatherUsageStats",
    "false",
    "--server.fileWatcherType",
    "none",
)
MARKERS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
MODEL = "qwen2.5:3b"
SOURCE = re.compile(r"\[S1\] \([^)]*\)\n<<<\n(.*?)\n>>>", re.DOTALL)


def grounded_answer(body: dict[str, Any]) -> dict[str, Any]:
    """Quote the first sentence of source S1: an answer the output guardrails accept, whatever was retrieved."""
    prompt = str(body["messages"][-1].get("content", ""))
    found = SOURCE.search(prompt)
    text = found.group(1) if found else "no sources"
    sentence = re.split(r"(?<=[.。!?])\s", " ".join(text.split()[1:]) if text.startswith("#") else text)[0]
    return {"citations": ["S1"], "answer": sentence[:200] or text[:200]}


def ollama(request: Request) -> Response:
    """A scripted Ollama that answers after 1 s by quoting source S1 (model loads at once)."""
    body: dict[str, Any] = request.get_json(silent=True) or {}
    route = (request.method, request.path)
    if route == ("GET", "/api/version"):
        return Response(json.dumps({"version": "0.12.0"}), content_type="application/json")
    if route == ("GET", "/api/tags"):
        return Response(json.dumps({"models": [{"name": MODEL, "model": MODEL}]}), content_type="application/json")
    if route == ("GET", "/api/ps"):
        return Response(json.dumps({"models": [{"name": MODEL, "model": MODEL}]}), content_type="application/json")
    if route == ("POST", "/api/show"):
        show = {"details": {"family": "qwen2"}, "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768}}
        return Response(json.dumps(show | {"capabilities": ["completion"]}), content_type="application/json")
    if route == ("POST", "/api/chat"):
        head = {"model": MODEL, "created_at": "2024-01-01T00:00:00Z"}
        if not body.get("messages"):
            return Response(
                json.dumps({**head, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "load"})
            )
        time.sleep(1.0)
        lines = [
            {**head, "message": {"role": "assistant", "content": json.dumps(grounded_answer(body))}, "done": False},
            {**head, "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "stop", "eval_count": 20},
        ]
        return Response("".join(json.dumps(line) + "\n" for line in lines), content_type="application/x-ndjson")
    return Response("404 page not found", status=404)


@pytest.fixture(scope="module")
def model_server() -> Iterator[str]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request(re.compile(r".*")).respond_with_handler(ollama)  # every path
    server.start()
    yield server.url_for("/").rstrip("/")
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, model_server: str) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("sessions-home")
    env = {
        **os.environ,
        "GUARDED_RAG_BACKEND": "ollama",
        "OLLAMA_HOST": model_server,
        "GUARDED_RAG_HOME": str(home),
        "GUARDED_RAG_THREADS": "1",
        "PYTHONPATH": str(ROOT),
        # The input detectors from the team's sets alone: seconds to build, not a minute (not what is tested).
        "GUARDED_RAG_SHARED_DATA": str(home / "no-shared-data"),
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "guarded-rag"), "ingest"], cwd=ROOT, env=env, check=True, timeout=600, stdout=subprocess.DEVNULL
    )
    port = free_port()
    log = (home / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [str(bin_dir / "streamlit"), "run", "streamlit_app.py", "--server.port", str(port), *SERVER_FLAGS],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        yield url, home
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


ANSWERED = """() => {
    const app = document.querySelector('[data-testid=stApp]');
    const messages = document.querySelectorAll('[data-testid=stChatMessage]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && messages.length >= 2 && messages[messages.length - 1].innerText.includes('Timeline (');
}"""


def test_eight_sessions_asking_at_once_each_see_only_their_own_chat(app_url: tuple[str, Path]) -> None:
    url, home = app_url
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            contexts = [browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US") for _ in MARKERS]
            pages = [c.new_page() for c in contexts]
            for page in pages:  # eight fresh sessions opened at once on a server nobody has used yet
                page.set_default_timeout(90_000)
                page.goto(url, wait_until="domcontentloaded")
            for page in pages:
                page.get_by_test_id("stChatInput").wait_for(timeout=120_000)
            for page, marker in zip(pages, MARKERS, strict=True):  # submitted back to back: they overlap
                box = page.get_by_test_id("stChatInputTextArea")
                box.fill(f"Which port does Ollama listen on by default? ({marker})")
                box.press("Enter")
            texts = []
            for page in pages:
                page.wait_for_function(ANSWERED, timeout=180_000, polling=500)
                texts.append(page.get_by_test_id("stApp").inner_text())
        finally:
            browser.close()
    for text, marker in zip(texts, MARKERS, strict=True):
        assert f"({marker})" in text, text[:800]
        assert not [m for m in MARKERS if m != marker and f"({m})" in text], f"{marker}'s page shows another session's chat"
        assert "internal error" not in text and "page hit a problem" not in text, text[:800]
        assert "answered" in text, text[:800]
    # Traces are written by the app's background writer, just after each answer: give it a moment.
    store, deadline = TraceStore(home / "traces.sqlite3"), time.monotonic() + 15
    while True:
        records = store.list(TraceFilter(limit=100))
        by_marker = {m: [r for r in records if f"({m})" in r.question] for m in MARKERS}
        if all(by_marker.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert all(len(found) == 1 for found in by_marker.values()), {m: len(f) for m, f in by_marker.items()}
    sessions = {found[0].session for found in by_marker.values()}
    assert len(sessions) == 8 and None not in sessions  # every request traced, each under its own session
    assert {found[0].status for found in by_marker.values()} == {"answered"}
