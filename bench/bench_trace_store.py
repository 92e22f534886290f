"""What the shared trace store costs compared with the SQLite file: traces stored per second through the
TraceStore's background writer (batches of up to 64, 20 events each, as a request makes), and the read
latency of a Traces page query (list 50) and of one trace with its events, for SQLite and, with --pg-url, for
PostgreSQL, in one run.

    PYTHONPATH=. .venv/bin/python bench/bench_trace_store.py [--n 2000] [--pg-url postgresql://…] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import TraceEvent, TraceFilter, TraceRecord, TraceStore, open_trace_backend, percentile


def record(i: int) -> TraceRecord:
    start = datetime.now(UTC)
    events = tuple(
        TraceEvent(
            seq=n + 1,
            step="input",
            name=f"guardrail_{n}",
            outcome="passed",
            reason="question size ok (44 of 2000 characters)",
            duration_ms=0.1,
            at=start + timedelta(microseconds=n),
            details={"action": "pass", "score": 0.5, "threshold": 1.0, "fail_mode": "closed"},
        )
        for n in range(20)
    )
    return TraceRecord(
        trace_id=uuid.uuid4().hex,
        created_at=start + timedelta(microseconds=i),
        question=f"Ollama 默认监听哪个端口？ #{i}",
        status="answered",
        backend="ollama",
        model="qwen2.5:3b",
        llm_calls=1,
        latency_ms=1234.5,
        result={"status": "answered", "answer": "11434", "citations": [{"source": "a.md", "chunk_id": "x"}]},
        events=events,
    )


def measure_one(target: Path | str, n: int) -> dict:
    store = TraceStore(open_trace_backend(target))
    records = [record(i) for i in range(n)]
    started = time.perf_counter()
    for r in records:
        store.save(r)
    store.flush(timeout=600)
    write_s = time.perf_counter() - started
    lists, gets = [], []
    for i in range(50):
        t0 = time.perf_counter()
        store.list(TraceFilter(limit=50))
        lists.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        store.get(records[i * (n // 50)].trace_id)
        gets.append((time.perf_counter() - t0) * 1000)
    store.close()
    store.close_backend()
    return {
        "traces_per_s": round(n / write_s),
        "list50_p50_ms": round(percentile(lists, 50), 2),
        "get_p50_ms": round(percentile(gets, 50), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--pg-url", help="a PostgreSQL database to write to (its traces tables are used as they are)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = {"n": args.n, "sqlite": measure_one(Path(tmp) / "traces.sqlite3", args.n)}
    if args.pg_url:
        result["postgres"] = measure_one(args.pg_url, args.n)
        result["ratio_write_pg_sqlite"] = round(result["postgres"]["traces_per_s"] / result["sqlite"]["traces_per_s"], 2)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"trace store, {args.n} traces of 20 events through the background writer")
    for name in ("sqlite", "postgres"):
        if name in result:
            r = result[name]
            print(
                f"  {name:<8} {r['traces_per_s']:6d} traces/s   list(50) p50 {r['list50_p50_ms']} ms   get p50 {r['get_p50_ms']} ms"
            )
    if "ratio_write_pg_sqlite" in result:
        print(f"  write throughput postgres/sqlite {result['ratio_write_pg_sqlite']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
