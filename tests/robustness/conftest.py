"""Helpers for the robustness suite: starting worker processes on a shared home and reading what they did, and a
real Chroma server (the `chroma` CLI of the chromadb wheel) on a free loopback port that a test can freeze, kill
and start again on the same port and data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(
    *args: str, module: str = "tests.robustness.worker", env: dict[str, str] | None = None, stdin: bool = False
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "GUARDED_RAG_THREADS": "1", **(env or {})},
        stdin=subprocess.PIPE if stdin else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> tuple[int, list[dict[str, Any]], str]:
    out, err = proc.communicate(timeout=timeout)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return proc.returncode, lines, err


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """`chroma run --path DIR --host 127.0.0.1 --port P`; `url` stays the same across kill() and start()."""

    def __init__(self, chroma: str, path: Path) -> None:
        self.chroma, self.path, self.port = chroma, path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait_s: float = 60.0) -> None:
        command = [self.chroma, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=0.5).is_success:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                time.sleep(0.5)  # the port may still be held by the killed server: try again
                self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.2)
        self.kill()
        pytest.fail(f"chroma run did not start within {wait_s:g} s")

    def freeze(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=30)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    found = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the chroma CLI (from the chromadb wheel) is not installed")
    server = ChromaServer(found, tmp_path / "chroma-server")
    server.start()
    yield server
    server.kill()
