"""`guarded-rag doctor` says OK only for what works: an Ollama that lists the model but fails every chat (a 500, a
model too big for memory) is a PROBLEM with its fix, checked by one tiny real chat (ChatOllama over HTTP against the
scripted Ollama double); a GGUF cut off by an interrupted copy is a PROBLEM before llama.cpp ever loads it."""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import httpx
import pytest

from app.cli.main import main
from app.doctor import run_doctor
from app.doctor_models import CHAT_CHECK_TOKENS
from app.documents.index_types import IndexStats
from app.embedded.gguf_header import gguf_problem
from app.models.backend import BackendChoice
from app.settings import Settings
from tests.fake_service import ollama_service
from tests.ollama_double import LoopbackOllama, Reply

STATS = lambda: IndexStats(collection="c", count=1, documents=1, embedder_id="e", dimension=1, path="p")  # noqa: E731
PRELOAD = Reply.text("")  # the empty-messages chat that loads the model
MEMORY = "model requires more system memory (5.6 GiB) than is available (3.1 GiB)"


@pytest.fixture
def server(httpserver):
    yield httpserver
    httpserver.check_assertions()


def doctor(svc) -> tuple[int, str]:
    svc.embedded_generation_problem = lambda: None  # llama.cpp in a child process has its own tests
    out = io.StringIO()
    code = main(["doctor"], out, build=lambda settings: svc)
    return code, out.getvalue()


def line(output: str, name: str) -> str:
    return next(row for row in output.splitlines() if f"] {name}:" in row)


def test_an_ollama_whose_chats_fail_is_a_problem_with_the_fix(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.status(500, MEMORY)])
    svc = ollama_service(tmp_path, double.url)
    code, out = doctor(svc)
    assert code == 1
    assert line(out, "backend").startswith("[ok] backend: ollama")  # tags and show answer: the probe is happy
    assert line(out, "ollama chat") == (
        f"[PROBLEM] ollama chat: a {CHAT_CHECK_TOKENS}-token chat with qwen2.5:3b failed: HTTP 500: {MEMORY}"
    )
    fix = out.splitlines()[out.splitlines().index(line(out, "ollama chat")) + 1]
    assert "does not fit in this machine's free memory" in fix and "GUARDED_RAG_MODEL" in fix
    (chat,) = [r.body for r in double.requests if r.path == "/api/chat" and r.body.get("messages")]
    assert chat["options"]["num_predict"] == CHAT_CHECK_TOKENS  # a tiny chat, not a whole answer
    svc.close()


def test_a_load_that_fails_with_an_error_page_is_one_clean_line(tmp_path, server):
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "<p>x</p>" * 50_000 + "</body></html>"
    double = LoopbackOllama(server, [Reply.body(502, page)])
    svc = ollama_service(tmp_path, double.url)
    code, out = doctor(svc)
    assert code == 1
    assert line(out, "ollama chat") == "[PROBLEM] ollama chat: loading qwen2.5:3b failed: 502 Bad Gateway"
    svc.close()


def test_an_ollama_that_chats_is_ok(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.text("OK")])
    svc = ollama_service(tmp_path, double.url)
    code, out = doctor(svc)
    assert line(out, "ollama chat").startswith(f"[ok] ollama chat: qwen2.5:3b loaded and answered a {CHAT_CHECK_TOKENS}-token")
    assert code == 0, out
    svc.close()


def test_no_chat_is_tried_when_the_embedded_backend_answers(tmp_path):
    settings = Settings(home=tmp_path)
    choice = BackendChoice(kind="embedded", model="smollm2:135m", reason="test", host=settings.ollama_host)

    def never(*args, **kwargs):
        raise AssertionError("no chat on the embedded backend")

    report = run_doctor(
        settings=settings, choice=choice, index_stats=never, trace_count=lambda: 0, preload=never, chat_model=never
    )
    assert not [c for c in report.checks if c.name == "ollama chat"]


def _string(text: str) -> bytes:
    return struct.pack("<Q", len(text)) + text.encode()


def small_gguf(path: Path) -> Path:
    """A GGUF v3 with two metadata entries (a string array among them) and two tensors (F32 and Q4_1) whose data
    takes 1,024 + 640 bytes after the header, aligned to 32."""
    meta = _string("general.alignment") + struct.pack("<II", 4, 32)
    meta += _string("tokenizer.ggml.tokens") + struct.pack("<IIQ", 9, 8, 3) + b"".join(_string(t) for t in "abc")
    tensors = _string("a") + struct.pack("<IQQ", 2, 64, 4) + struct.pack("<IQ", 0, 0)
    tensors += _string("b") + struct.pack("<IQQ", 2, 32, 32) + struct.pack("<IQ", 3, 1024)
    header = b"GGUF" + struct.pack("<IQQ", 3, 2, 2) + meta + tensors
    header += b"\0" * (-len(header) % 32)
    path.write_bytes(header + b"\1" * (1024 + 32 * 32 // 32 * 20))
    return path


def test_a_small_gguf_is_whole_and_each_cut_of_it_is_not(tmp_path):
    whole = small_gguf(tmp_path / "m.gguf").read_bytes()
    assert gguf_problem(tmp_path / "m.gguf") is None
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[:-1])
    assert gguf_problem(cut) == (
        f"is cut off: its tensors need {len(whole)} bytes and the file has {len(whole) - 1} (99%): "
        "an interrupted copy or download"
    )
    cut.write_bytes(whole[:40])
    assert gguf_problem(cut) == "is cut off inside its header (40 bytes): an interrupted copy or download"


def test_a_truncated_gguf_is_a_problem_and_generation_is_not_tried(tmp_path):
    whole = small_gguf(tmp_path / "whole.gguf").read_bytes()
    half = tmp_path / "model.gguf"
    half.write_bytes(whole[: len(whole) // 2])
    settings = Settings(home=tmp_path, gguf=half)
    choice = BackendChoice(kind="embedded", model="model:latest", reason="test", host=settings.ollama_host)

    def generation() -> str | None:
        raise AssertionError("llama.cpp must not be asked to load a file known to be cut off")

    report = run_doctor(settings=settings, choice=choice, index_stats=STATS, trace_count=lambda: 0, generation=generation)
    (check,) = [c for c in report.checks if c.name == "embedded model"]
    assert not check.ok and not report.ok
    assert check.detail.startswith(f"{half} is cut off: its tensors need {len(whole)} bytes and the file has ")
    assert check.fix is not None and "GUARDED_RAG_GGUF" in check.fix
    assert not [c for c in report.checks if c.name == "embedded generation"]


def test_the_bundled_gguf_reads_whole(tmp_path):
    from app.embedded.gguf import bundled_gguf

    assert gguf_problem(bundled_gguf()) is None


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "is not a GGUF model llama.cpp can load: the file is empty"),
        (b"<html>not a model</html>", "it does not start with b'GGUF' (it starts with b'<htm')"),
        (b"GGUF\x03\x00\x00\x00\x01", "is cut off inside its header (9 bytes)"),
        (b"GGUF\x01\x00\x00\x00" + b"\x00" * 16, "GGUF version 1 (llama.cpp reads versions 2 and 3)"),
    ],
)
def test_what_is_not_a_whole_gguf_says_why(tmp_path, content, says):
    path = tmp_path / "x.gguf"
    path.write_bytes(content)
    problem = gguf_problem(path)
    assert problem is not None and says in problem


def test_a_doctor_json_report_carries_the_chat_check(tmp_path, server):
    double = LoopbackOllama(server, [PRELOAD, Reply.status(500, "llama runner process has terminated")])
    svc = ollama_service(tmp_path, double.url)
    svc.embedded_generation_problem = lambda: None
    out = io.StringIO()
    assert main(["doctor", "--json"], out, build=lambda settings: svc) == 1
    (chat,) = [c for c in json.loads(out.getvalue())["checks"] if c["name"] == "ollama chat"]
    assert not chat["ok"] and "llama runner process has terminated" in chat["detail"] and "server log" in chat["fix"]
    svc.close()


OLLAMA = BackendChoice(kind="ollama", model="qwen2.5:3b", reason="test: Ollama has it", host="http://127.0.0.1:1")


def _chat_check(preload, chat_model):
    report = run_doctor(
        settings=Settings(), choice=OLLAMA, index_stats=STATS, trace_count=lambda: 0, preload=preload, chat_model=chat_model
    )
    (check,) = [c for c in report.checks if c.name == "ollama chat"]
    return check


def test_a_chat_that_times_out_says_so_and_how_to_give_it_longer():
    from app.fakes import scripted
    from app.models.factory_types import PreloadResult

    loaded = lambda: PreloadResult(kind="ollama", model="qwen2.5:3b", ok=True, cold=False, duration_s=0.1)  # noqa: E731
    check = _chat_check(loaded, lambda timeout: scripted(httpx.ReadTimeout("timed out")))
    assert not check.ok and check.detail == f"a {CHAT_CHECK_TOKENS}-token chat with qwen2.5:3b failed: timed out"
    assert check.fix is not None and "GUARDED_RAG_TIMEOUT" in check.fix


def test_a_preload_that_raises_is_a_line_not_a_traceback():
    def broken():
        raise ValueError("No data received from Ollama stream.")

    check = _chat_check(broken, lambda timeout: None)
    assert not check.ok
    assert check.detail == "loading qwen2.5:3b failed: ValueError: No data received from Ollama stream."
