"""The embedded-generation self-test on the real llama-cpp-python build and the bundled GGUF: a build that
crashes on this CPU (a native build with AMX did, on the first token) fails here, in a child process, with the
signal named, instead of killing the test run. `make install` builds the portable wheel that passes."""

from __future__ import annotations

import pytest

from app.embedded.gguf import locate_gguf
from app.embedded.selftest import generation_problem

pytestmark = pytest.mark.integration
pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")


def test_the_installed_llama_cpp_generates_in_a_child_process() -> None:
    assert generation_problem(locate_gguf(None), threads=1) is None
