"""The embedded-generation self-test: a child process tries llama.cpp, and however it ends (crash, error, hang,
success) the caller gets one line, never the crash itself. The child's program is replaced here; the real one
runs in tests/integration/test_embedded_selftest.py."""

from __future__ import annotations

from pathlib import Path

from app.doctor import run_doctor
from app.documents.index_types import IndexStats
from app.embedded.selftest import FIX, generation_problem
from app.models.backend import BackendChoice
from app.settings import Settings

GGUF = Path("/models/tiny.gguf")  # only its name reaches the message: the replaced child never opens it
SEGFAULT = "import os, signal, sys; assert sys.argv[1:] == ['/models/tiny.gguf', '3']; os.kill(os.getpid(), signal.SIGSEGV)"


def test_a_child_that_segfaults_is_reported_by_signal_name() -> None:
    problem = generation_problem(GGUF, threads=3, code=SEGFAULT)
    assert (
        problem
        == "llama.cpp crashed (SIGSEGV) generating 2 tokens with tiny.gguf: this build of llama-cpp-python cannot run on this CPU"
    )


def test_a_child_that_fails_reports_its_exit_code_and_last_error_line() -> None:
    code = "import sys; sys.stderr.write('loading\\nValueError: bad magic\\n'); sys.exit(3)"
    assert generation_problem(GGUF, code=code) == "generating 2 tokens with tiny.gguf failed (exit 3): ValueError: bad magic"


def test_a_child_that_hangs_is_stopped_at_the_timeout() -> None:
    problem = generation_problem(GGUF, timeout=1.0, code="import time; time.sleep(30)")
    assert problem == "a child process loading tiny.gguf and generating 2 tokens did not finish within 1 s"


def test_a_child_that_generates_is_no_problem() -> None:
    assert generation_problem(GGUF, code="pass") is None


def _doctor(generation):  # type: ignore[no-untyped-def]
    def no_index() -> IndexStats:
        raise RuntimeError("no index here")

    choice = BackendChoice(kind="embedded", model="m", reason="test", fix=None, host="http://127.0.0.1:11434")
    report = run_doctor(settings=Settings(), choice=choice, index_stats=no_index, trace_count=lambda: 0, generation=generation)
    return next(c for c in report.checks if c.name == "embedded generation")


def test_doctor_reports_a_crashing_build_as_a_problem_with_the_rebuild_fix() -> None:
    found = _doctor(lambda: generation_problem(GGUF, code=SEGFAULT.replace("'3'", "'1'")))
    assert not found.ok and "SIGSEGV" in found.detail and found.fix == FIX


def test_doctor_says_when_generation_works() -> None:
    found = _doctor(lambda: None)
    assert found.ok and found.detail == "llama.cpp generated 2 tokens in a child process" and found.fix is None


def test_doctor_reports_a_self_test_that_could_not_start() -> None:
    def broken() -> str | None:
        raise OSError("no such interpreter")

    found = _doctor(broken)
    assert not found.ok and found.detail == "could not try a generation: OSError: no such interpreter"


def test_in_unit_tests_the_child_refuses_to_run_the_real_model() -> None:
    problem = generation_problem(GGUF)  # the default program, which tests/conftest.py replaces in unit tests
    assert problem is not None and "a unit test tried to run the real model in a child process" in problem
