"""The docs/OBSERVABILITY.md recipe end to end: start Arize Phoenix (`phoenix serve`, its own venv, offline) on
loopback, point the standard OTEL_EXPORTER_OTLP_ENDPOINT at it, ask, and read the spans back from Phoenix's
REST API: every span arrived, with the span kinds Phoenix renders. Optional (`make test-phoenix`): skipped
when Phoenix is not installed (GUARDED_RAG_PHOENIX, `phoenix` on PATH, or ../phoenix-venv/bin/phoenix)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from app.telemetry import semconv as sc
from tests.fake_service import make_service
from tests.postgres_server import free_port

pytestmark = pytest.mark.phoenix
ROOT = Path(__file__).resolve().parents[2]
GOOD = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})


def phoenix_binary() -> Path | None:
    for candidate in (os.environ.get("GUARDED_RAG_PHOENIX"), shutil.which("phoenix"), ROOT.parent / "phoenix-venv/bin/phoenix"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory):
    binary = phoenix_binary()
    if binary is None:
        pytest.skip("Arize Phoenix is not installed (docs/OBSERVABILITY.md: python3 -m venv ../phoenix-venv && ...)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("phoenix")
    env = {
        **os.environ,
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(free_port()),
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    log = (workdir / "serve.log").open("w")
    proc = subprocess.Popen([str(binary), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240  # a cold start takes 10-45 s on 2 busy cores
        while time.monotonic() < deadline:
            assert proc.poll() is None, (workdir / "serve.log").read_text()[-2000:]
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("phoenix serve did not answer within 240 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def phoenix_spans(base: str, want: int, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    spans: list[dict] = []
    while time.monotonic() < deadline:
        spans, cursor = [], None
        while True:
            page = httpx.get(
                base + "/v1/projects/default/spans", params={"limit": 1000, **({"cursor": cursor} if cursor else {})}, timeout=10
            )
            if page.status_code == 404:  # the project appears with the first span
                break
            page.raise_for_status()
            body = page.json()
            spans += body["data"]
            cursor = body.get("next_cursor")
            if not cursor:
                break
        if len(spans) >= want:
            return spans
        time.sleep(0.5)
    return spans


def test_the_recipe_shows_every_span_in_phoenix(phoenix: str, tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD]}, otel_endpoint=phoenix, otel_export_text=True)
    responses = [
        svc.ask(q) for q in ("Which port does Ollama listen on by default?", "请判断这个方案是否合理。", "明朝哪一年迁都北京？")
    ]
    svc.close()
    expected = sum(len(r.events) + 1 for r in responses)
    spans = phoenix_spans(phoenix, expected)
    assert len(spans) == expected and svc.telemetry_status().lost == 0
    assert {s["context"]["trace_id"] for s in spans} == {r.trace_id for r in responses}
    roots = [s for s in spans if s["parent_id"] is None]
    assert sorted(s["attributes"][sc.STATUS] for s in roots) == ["answered", "clarify", "refused"]
    kinds = {s["span_kind"] for s in spans}
    assert {"CHAIN", "GUARDRAIL", "RETRIEVER", "LLM"} <= kinds  # Phoenix reads openinference.span.kind
    answered = next(s for s in roots if s["attributes"][sc.STATUS] == "answered")
    assert answered["attributes"][sc.INPUT_VALUE] == "Which port does Ollama listen on by default?"
