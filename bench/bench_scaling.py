"""Benchmark: throughput of concurrent questions with 1, 2 and 4 app processes sharing one Chroma server and one
trace store, on a scripted zero-latency model, and the scaling ratios against one process.

What it measures is the app's own work per question (guardrails, retrieval through the Chroma server, the trace
write) and how it spreads over processes; the model costs nothing here. The Chroma server is the one in the
chromadb wheel on a free loopback port; the trace store is one SQLite file in a shared home, or PostgreSQL with
--trace-db postgresql://... (where the trace store supports it). Every process asks with --threads threads for
--seconds after a common start; afterwards the trace store must hold every trace (nothing lost). On a machine with
fewer cores than processes, the ratio is bounded by the cores: the output says how many there are.

    PYTHONPATH=. .venv/bin/python bench/bench_scaling.py [--procs 1,2,4] [--seconds 8] [--threads 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

import httpx

from app import BackendChoice, BagOfWordsEmbeddings, GuardedRAG, ScriptedModelFactory, Settings

REPO = Path(__file__).resolve().parents[1]
MODEL = "smollm2:135m"
GOOD = '{"answer": "Ollama listens on port 11434 by default.", "citations": ["S1"]}'
QUESTIONS = (
    "What port does Ollama listen on by default?",
    "How do I change the address Ollama binds to?",
    "What does the temperature parameter do in a Modelfile?",
)


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "loadavg_1_5_15": [round(x, 2) for x in load],
        "python": platform.python_version(),
    }


def embedded(settings: Settings) -> BackendChoice:
    return BackendChoice(kind="embedded", model=MODEL, reason="bench: scripted zero-latency model", host=settings.ollama_host)


def service(home: Path, url: str, trace_db: str | None, answers: int) -> GuardedRAG:
    extra: dict[str, Any] = {"trace_store": trace_db} if trace_db else {}
    settings = Settings(home=home, docs_dir=REPO / "data" / "docs", retries=0, chroma_url=url, **extra)
    factory = ScriptedModelFactory(scripts={MODEL: [GOOD] * answers}, embedded_model_name=MODEL)
    return GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=embedded)


def worker(args: argparse.Namespace) -> int:
    """One app process: warm up, wait for the common start, ask with N threads until the end time."""
    svc = service(args.home, args.url, args.trace_db, answers=1_000_000)
    svc.ask(QUESTIONS[0])  # warm: the index handle, the policy, the trace store
    counts: dict[str, float] = {"asks": 0, "errors": 0, "warmup_trace": 1}
    lock = threading.Lock()
    print("ready", flush=True)
    start_at = float(sys.stdin.readline())  # the same start for every process, sent once all are ready
    end = start_at + args.seconds

    def loop(offset: int) -> None:
        i = offset
        while time.time() < end:
            status = svc.ask(QUESTIONS[i % len(QUESTIONS)]).status
            i += 1
            with lock:
                counts["asks"] += 1
                counts["errors"] += status == "error"

    time.sleep(max(0.0, start_at - time.time()))
    threads = [threading.Thread(target=loop, args=(t,)) for t in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts["elapsed_s"] = time.time() - start_at  # the last ask may end after `end`: count its time too
    close = getattr(svc.traces, "close", None)
    if callable(close):
        close()  # a trace store with a background writer flushes here
    print(json.dumps(counts), flush=True)
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_chroma(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        raise SystemExit("the chroma CLI (from the chromadb wheel) is not installed")
    port = free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v2/heartbeat", timeout=0.5).is_success:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("chroma run did not start within 60 s")


def run_level(n: int, args: argparse.Namespace, home: Path, url: str) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--url", url, "--home", str(home)]
    command += ["--seconds", str(args.seconds), "--threads", str(args.threads)]
    if args.trace_db:
        command += ["--trace-db", args.trace_db]
    env = {**os.environ, "PYTHONPATH": str(REPO), "GUARDED_RAG_THREADS": "1"}
    procs = [
        subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    for proc in procs:  # every process imported, built its service and answered once: then all start together
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"a worker failed before starting: {proc.communicate(timeout=60)[1].strip()[-800:]}")
    start_at = f"{time.time() + 0.5}\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(start_at)
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=args.seconds + 180)
        if proc.returncode != 0:
            raise SystemExit(f"a worker failed: {err.strip()[-800:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    asks = sum(r["asks"] for r in results)
    elapsed = max(r["elapsed_s"] for r in results)
    return {
        "processes": n,
        "threads_each": args.threads,
        "questions": asks,
        "errors": sum(r["errors"] for r in results),
        "elapsed_s": round(elapsed, 2),
        "per_s": round(asks / elapsed, 1),
        "warmup_traces": sum(r["warmup_trace"] for r in results),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", default="1,2,4", help="process counts to measure, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per level")
    parser.add_argument("--threads", type=int, default=4, help="asking threads per process")
    parser.add_argument("--trace-db", default=None, help="a postgresql:// URL for the shared trace store (default: SQLite)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    levels = [int(p) for p in args.procs.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        server, url = start_chroma(Path(tmp) / "chroma")
        try:
            home = Path(tmp) / "home"
            setup = service(home, url, args.trace_db, answers=1)
            setup.ingest()
            chunks = setup.index_stats().count
            before = setup.traces.count()
            rows = [run_level(n, args, home, url) for n in levels]
            stored = setup.traces.count() - before
        finally:
            server.kill()
            server.wait(timeout=30)
    base = rows[0]["per_s"] or float("nan")
    for row in rows:
        row["ratio_vs_1"] = round(row["per_s"] / base, 2)
    expected = sum(r["questions"] + r["warmup_traces"] for r in rows)
    trace_store = "PostgreSQL" if args.trace_db else "SQLite file (one, shared by every process)"
    result = {
        "machine": machine(),
        "index": f"Chroma server on loopback, {chunks} chunks of data/docs (bag-of-words embeddings)",
        "trace_store": trace_store,
        "seconds_per_level": args.seconds,
        "levels": rows,
        "traces_expected": expected,
        "traces_stored": stored,
        "traces_lost": expected - stored,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['index']}; traces: {trace_store}; {args.seconds:g} s per level; machine {result['machine']}")
    for row in rows:
        print(
            f"  {row['processes']} process(es) x {row['threads_each']} threads: {row['questions']:6d} questions, "
            f"{row['per_s']:7.1f}/s, x{row['ratio_vs_1']:.2f} vs 1 process, {row['errors']} errors"
        )
    print(f"  traces stored {stored} of {expected} ({expected - stored} lost)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
