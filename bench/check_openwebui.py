"""`guarded-rag serve` checked with the real Open WebUI in headless Chromium, end to end (issue #13).

Indexes data/docs into a temporary GUARDED_RAG_HOME, starts `guarded-rag serve` (embedded model, one slot,
GUARDED_RAG_THREADS=1) and Open WebUI with its default settings except connection, offline and data-dir ones:
its Ollama connection at serve, its OpenAI connection at serve's /v1 (model prefix `openai.`, so both appear).
In Chromium it creates the admin account, then for each connection asks a Chinese and an English question
(one chat), a vague and an off-topic one (new chats), and checks the reply shown (sources / clarifying
questions / refusal), that each question left a trace with the connection's session and no request failed.
Not part of `make test`: Open WebUI is a 3 GB venv of its own and the run takes ~10 minutes on 2 cores.

    python3 -m venv /work/owui-venv && /work/owui-venv/bin/pip install torch==2.13.0 open-webui==0.12.4
    PYTHONPATH=. .venv/bin/python bench/check_openwebui.py [--open-webui BIN] [--screenshots DIR] [--capture FILE] [--token]

--capture records every request Open WebUI sends, and the reply, through a logging proxy (JSON lines);
--token runs serve with GUARDED_RAG_API_TOKEN and gives Open WebUI the token as both connections' key.
Exit 0: every check passed; 1: a check failed; 2: Open WebUI, Chromium or playwright is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a plain script from the repo root

from app import GuardedRAG, ServerThread, TraceRecord, load_settings  # noqa: E402

OPEN_WEBUI = Path(os.environ.get("OPEN_WEBUI_BIN", "/work/owui-venv/bin/open-webui"))
CHROMIUM = Path("/usr/bin/chromium")
T = TypeVar("T")
CHROMIUM_ARGS = [  # as tests/e2e/test_browser.py: no background calls out of a closed network
    *("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"),
    *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
]
ANSWER_S = 600  # one question on the embedded model, re-asks and fallback included, on a busy machine
CONNECTIONS = {"ollama": "guarded-rag:latest", "openai": "openai.guarded-rag:latest"}
# (question, new chat?, trace statuses expected, screenshot name per connection)
QUESTIONS: tuple[tuple[str, bool, set[str], dict[str, str]], ...] = (
    ("Ollama 默认监听哪个端口？", True, {"answered", "fallback"}, {}),
    ("How do I change the port Ollama listens on?", False, {"answered", "fallback"}, {"ollama": "answer", "openai": "openai"}),
    ("Is this plan reasonable?", True, {"clarify"}, {"ollama": "clarify"}),
    ("明朝哪一年迁都北京？", True, {"refused"}, {"ollama": "refused"}),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def poll(get: Callable[[], T | None], seconds: float, what: str, proc: subprocess.Popen[bytes] | None = None) -> T:
    """The first value `get` returns that is not None (or empty), checking every second."""
    deadline = time.monotonic() + seconds
    while not (value := get()):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached in {seconds:.0f} s")
        time.sleep(1)
    return value


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def logging_proxy(upstream: str, capture: Path) -> Any:
    """A reverse proxy that appends each exchange (request body, status, reply) to `capture` as a JSON line.
    Hand-written: a dozen lines over Starlette and httpx, which the project already has."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    client = httpx.AsyncClient(base_url=upstream, timeout=None)

    async def forward(request: Request) -> StreamingResponse:
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        url = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        reply = await client.send(client.build_request(request.method, url, headers=headers, content=body), stream=True)

        async def relay() -> Any:
            seen = bytearray()
            try:
                async for chunk in reply.aiter_raw():
                    seen += chunk
                    yield chunk
            finally:
                await reply.aclose()
                line: dict[str, Any] = {"method": request.method, "path": request.url.path}
                line |= {"request": body.decode("utf-8", "replace")}
                line |= {"status": reply.status_code, "reply": seen.decode("utf-8", "replace")}
                with capture.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(line, ensure_ascii=False) + "\n")

        skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
        kept = {k: v for k, v in reply.headers.items() if k.lower() not in skip}
        return StreamingResponse(relay(), status_code=reply.status_code, headers=kept)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "DELETE", "OPTIONS"])])


def access_log(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith('{"ts"')]


def trace_ids(serve_log: Path) -> list[str]:
    """The trace ids of the requests serve answered so far: one per question (task calls have none)."""
    return [line["trace_id"] for line in access_log(serve_log) if line["trace_id"]]


def new_trace_ids(serve_log: Path, known: int) -> list[str]:
    return trace_ids(serve_log)[known:]


class Browser:
    """The Open WebUI pages this check drives (selectors of 0.12.4)."""

    def __init__(self, page: Any, base: str, shots: Path) -> None:
        self.page, self.base, self.shots = page, base, shots

    def sign_up(self) -> None:
        page = self.page
        page.goto(self.base + "/", wait_until="load")
        page.get_by_text("Get started").click(timeout=60_000)
        page.get_by_placeholder("Enter Your Full Name").fill("Check Admin")
        page.get_by_placeholder("Enter Your Email").fill("admin@example.com")
        page.get_by_placeholder("Enter Your Password").fill(secrets.token_urlsafe(12))
        page.get_by_role("button", name="Create Admin Account").click()
        page.wait_for_url(self.base + "/", timeout=60_000)
        notes = page.get_by_role("button", name="Okay, Let's Go!")  # the release notes, once per version
        notes.wait_for(timeout=30_000)
        notes.click()

    def new_chat(self, model: str) -> None:
        self.page.goto(self.base + "/", wait_until="load")
        self.page.locator("#chat-input").wait_for(timeout=60_000)
        self.page.locator("#model-selector-model-button").click()
        self.page.locator(f"button[data-value='{model}']").click()
        assert self.page.locator("#model-selector-model-button").inner_text().strip() == model

    def ask(self, question: str) -> str:
        page = self.page
        replies = page.locator("#response-content-container")
        before = replies.count()
        page.locator("#chat-input").click()
        page.keyboard.type(question)
        page.keyboard.press("Enter")
        page.wait_for_function(f"document.querySelectorAll('#response-content-container').length > {before}")
        deadline = time.monotonic() + ANSWER_S
        while page.locator("button[aria-label='Stop']").count() and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(2)  # the reply text renders after the stream ends
        return str(replies.last.inner_text()).strip()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"openwebui-{name}.png"))


def shown_matches(record: TraceRecord, shown: str) -> bool:
    """The reply Open WebUI shows carries what the trace says was answered: its sources, the clarifying
    questions, the refusal (compared as rendered text: Markdown drops list dashes and backticks)."""
    result = record.result
    if record.status in ("answered", "fallback"):
        sources = [c["source"] for c in result.get("citations", [])]
        return "Sources:" in shown and bool(sources) and all(source in shown for source in sources)
    if record.status == "clarify":
        questions = result.get("clarifying_questions") or []
        return bool(questions) and all(q.replace("`", "") in shown for q in questions)
    return record.status == "refused" and shown.startswith("Refused by the ")


def check_connection(browser: Browser, dialect: str, svc: GuardedRAG, serve_log: Path) -> list[str]:
    """Asks QUESTIONS over one connection; returns the failed checks."""
    failures: list[str] = []
    for question, new_chat, statuses, shots in QUESTIONS:
        if new_chat:
            browser.new_chat(CONNECTIONS[dialect])
        asked = len(trace_ids(serve_log))
        started = time.monotonic()
        shown = browser.ask(question)
        seconds = time.monotonic() - started
        traced = poll(partial(new_trace_ids, serve_log, asked), 60, "the question's line in the access log")
        record = poll(partial(svc.traces.get, traced[-1]), 60, "the question's trace")
        ok = len(traced) == 1 and record.question == question and record.session == f"http:{dialect}"
        ok = ok and record.status in statuses and shown_matches(record, shown)
        print(
            f"{dialect:6} {record.status:9} {record.llm_calls} calls {seconds:6.1f} s  {question}\n       shown: {shown[:160]!r}"
        )
        if not ok:
            failures.append(f"{dialect}: {question!r}: {len(traced)} traced, {record.status}, shown {shown[:300]!r}")
        if dialect in shots:
            browser.shot(shots[dialect])
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open-webui", type=Path, default=OPEN_WEBUI, help="the open-webui executable ($OPEN_WEBUI_BIN)")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "test-artifacts" / "openwebui")
    parser.add_argument("--capture", type=Path, help="write every request Open WebUI sends, and its reply, here")
    parser.add_argument("--token", action="store_true", help="serve with a bearer token; Open WebUI sends it as the key")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("playwright (python) is not installed in this venv", file=sys.stderr)
        return 2
    for needed in (args.open_webui, CHROMIUM):
        if not needed.exists():
            print(f"{needed} not found (see the recipe in docs/SERVE.md)", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="check-openwebui-"))
    failures: list[str] = []
    args.screenshots.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16) if args.token else None
    env = {**os.environ, "GUARDED_RAG_HOME": str(work / "home"), "GUARDED_RAG_BACKEND": "embedded"}
    env |= {"GUARDED_RAG_THREADS": "1", "GUARDED_RAG_MAX_INFLIGHT": "1", "GUARDED_RAG_DOCS_DIR": str(ROOT / "data" / "docs")}
    env |= {"GUARDED_RAG_API_TOKEN": token} if token else {}
    try:
        with ExitStack() as stack:
            svc = GuardedRAG(load_settings(env))
            print(f"indexing data/docs into {work / 'home'} ...")
            svc.ingest()
            port, serve_log = free_port(), work / "serve.log"
            serve = stack.enter_context(process([sys.executable, "-m", "app", "serve", "--port", str(port)], env, serve_log))
            serve_url = f"http://127.0.0.1:{port}"
            poll(lambda: http_ok(serve_url + "/readyz"), 300, "serve /readyz", serve)
            backend = serve_url
            if args.capture:
                args.capture.unlink(missing_ok=True)
                backend = stack.enter_context(ServerThread(logging_proxy(serve_url, args.capture))).url
            webui_port = free_port()
            webui_env = {"PATH": os.environ["PATH"], "HOME": str(work / "webui-home"), "LANG": "C.UTF-8"}
            webui_env |= {"DATA_DIR": str(work / "webui-data"), "OFFLINE_MODE": "true", "WEBUI_SECRET_KEY": secrets.token_hex(32)}
            webui_env |= {"OLLAMA_BASE_URL": backend, "OPENAI_API_BASE_URL": backend + "/v1", "OPENAI_API_KEY": token or "unused"}
            webui_env |= {"OPENAI_API_CONFIGS": json.dumps({"0": {"prefix_id": "openai"}})}
            webui_env |= {"OLLAMA_API_CONFIGS": json.dumps({"0": {"key": token}})} if token else {}
            print(f"starting Open WebUI ({args.open_webui}) on port {webui_port}: a few minutes on 2 cores ...")
            webui_cmd = [str(args.open_webui), "serve", "--host", "127.0.0.1", "--port", str(webui_port)]
            webui = stack.enter_context(process(webui_cmd, webui_env, work / "open-webui.log", cwd=work))
            base = f"http://127.0.0.1:{webui_port}"
            poll(lambda: http_ok(base + "/health"), 900, "Open WebUI /health", webui)
            pw = stack.enter_context(sync_playwright())
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            stack.callback(chromium.close)
            page = chromium.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(60_000)
            browser = Browser(page, base, args.screenshots)
            try:
                browser.sign_up()
                failures += [f for dialect in CONNECTIONS for f in check_connection(browser, dialect, svc, serve_log)]
            except Exception as exc:  # a step that timed out: keep the page for the report
                page.screenshot(path=str(args.screenshots / "openwebui-failure.png"))
                failures.append(f"{type(exc).__name__}: {exc}")
        requests = access_log(serve_log)
        bad = [f"{r['method']} {r['path']} -> {r['status']}" for r in requests if r["status"] >= 400]
        tasks = len([r for r in requests if r["path"] in ("/api/chat", "/v1/chat/completions") and not r["trace_id"]])
        print(f"serve answered {len(requests)} requests ({tasks} task calls); failed: {bad or 'none'}")
        failures += [f"request failed: {b}" for b in bad]
    finally:
        (shutil.rmtree(work, ignore_errors=True) if not args.keep else print(f"kept {work}"))
    print("\n".join(["FAILED:", *failures]) if failures else f"all checks passed; screenshots in {args.screenshots}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
