"""`guarded-rag traces | head`: the reader leaving early is not an error (it printed `error: BrokenPipeError`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.traces import TraceRecord

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _guarded_rag(home: Path, *argv: str, **popen: object) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUARDED_RAG_")} | {"GUARDED_RAG_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "app", *argv], env=env, **popen)  # type: ignore[call-overload]


def test_a_reader_that_leaves_early_ends_the_listing_quietly(tmp_path: Path) -> None:
    export = tmp_path / "many.jsonl"
    records = (
        TraceRecord(
            trace_id=f"{i:032x}",
            created_at=T0 + timedelta(seconds=i),
            question=f"question number {i} " + "x" * 40,
            status="refused",
            backend="embedded",
            model="m",
            llm_calls=0,
            latency_ms=1.0,
        )
        for i in range(3000)  # ~150 bytes a line: more than a pipe holds, so writing blocks until the reader goes
    )
    export.write_text("".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8")
    assert _guarded_rag(tmp_path / "home", "traces", "import", "--jsonl", str(export), stdout=subprocess.DEVNULL).wait(120) == 0
    listing = _guarded_rag(tmp_path / "home", "traces", "--last", "3000", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout is not None and listing.stderr is not None
    first = listing.stdout.readline()
    listing.stdout.close()  # what `head -1` does after its line
    code = listing.wait(120)
    err = listing.stderr.read().decode()
    assert first.startswith(f"{2999:032x}"[:12].encode()) and code == 141 and err == "", (code, err)
