"""Whether llama.cpp can generate at all on this machine, asked in a child process.

A llama-cpp-python build can crash the process that uses it: a `-march=native` build on a CPU that advertises
AMX segfaults in ggml's AMX kernels on the first token (measured here; the Makefile builds a portable wheel for
that reason). A segfault cannot be caught in Python, and in the app it would take the Streamlit server or the
HTTP server down with it, so `guarded-rag doctor` asks a throwaway process to load the model and generate two
tokens, and reports how that process ended.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

# Run as `python -c CODE <gguf> <threads>`: load, generate two tokens, exit 0.
CODE = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=256, n_threads=int(sys.argv[2]), n_threads_batch=int(sys.argv[2]), verbose=False)
llm.create_chat_completion(messages=[{"role": "user", "content": "Say hi"}], max_tokens=2)
"""
# The build flags and the pinned version live in the Makefile alone (LLAMA_CMAKE, LLAMA_VERSION): a copy here
# would drift from them.
FIX = (
    "reinstall llama-cpp-python as a portable build: rm -f .venv/.llama-portable-* && make install "
    "(outside a checkout: CMAKE_ARGS set to the Makefile's LLAMA_CMAKE, then "
    "pip install --force-reinstall --no-cache-dir llama-cpp-python==LLAMA_VERSION)"
)


def generation_problem(gguf: Path, *, threads: int = 1, timeout: float = 120.0, code: str | None = None) -> str | None:
    """None when a child process generated with `gguf`; else what went wrong, in one line. `code` (tests) replaces
    the child's program (default: CODE, read at call time); it gets the same arguments."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CODE if code is None else code, str(gguf), str(threads)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"a child process loading {gguf.name} and generating 2 tokens did not finish within {timeout:.0f} s"
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name if -done.returncode in signal.valid_signals() else str(-done.returncode)
        return f"llama.cpp crashed ({name}) generating 2 tokens with {gguf.name}: this build of llama-cpp-python cannot run on this CPU"
    last = (done.stderr.strip().splitlines() or ["no error output"])[-1]
    return f"generating 2 tokens with {gguf.name} failed (exit {done.returncode}): {last[:300]}"
