"""Benchmark of the embedded model (llama-cpp-python + SmolLM2-135M) as the app runs it: load time, time to
first token, decode and prompt tokens/s, and schema-constrained vs unconstrained decode speed, measured
in the same run (alternating, so machine load affects both alike).

    python bench/bench_embedded.py [--runs 5] [--threads 1] [--num-predict 128] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import Delta, Finish, LlamaEngine

SCHEMA = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "maxLength": 200},
        "citations": {"type": "array", "items": {"type": "string", "enum": ["S1", "S2"]}, "maxItems": 2},
    },
    "required": ["answer", "citations"],
}
SOURCES = (
    "[S1] Ollama listens on port 11434 by default. Set OLLAMA_HOST to change the address it binds to.\n"
    "[S2] In a Modelfile the temperature parameter defaults to 0.8; lower values make output more deterministic."
)


def messages(run: int) -> list[dict[str, str]]:
    # A run-specific first line defeats llama.cpp's prompt-prefix cache, so every run evaluates its prompt.
    system = f"Session {run}. Answer from the sources only, as JSON with answer and citations."
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"{SOURCES}\n\nQuestion: Which port does Ollama use?"},
    ]


def one_call(engine: LlamaEngine, run: int, fmt: dict[str, Any] | None, num_predict: int) -> dict[str, float]:
    started = time.perf_counter()
    first: float | None = None
    finish: Finish | None = None
    for event in engine.chat(messages(run), format=fmt, options={"temperature": 0.2, "seed": run, "num_predict": num_predict}):
        if isinstance(event, Delta) and first is None:
            first = time.perf_counter()
        elif isinstance(event, Finish):
            finish = event
    assert finish is not None
    return {
        "ttft_s": (first or time.perf_counter()) - started,
        "decode_tok_s": finish.eval_count / max(finish.eval_duration / 1e9, 1e-9),
        "prompt_tok_s": finish.prompt_eval_count / max(finish.prompt_eval_duration / 1e9, 1e-9),
        "prompt_tokens": finish.prompt_eval_count,
        "eval_tokens": finish.eval_count,
        "total_s": finish.total_duration / 1e9,
    }


def summarize(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (1 when the cores are busy)")
    parser.add_argument("--num-ctx", type=int, default=2048)
    parser.add_argument("--num-predict", type=int, default=128)
    parser.add_argument("--gguf", type=Path, default=None, help="another GGUF instead of the bundled SmolLM2")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    engine = LlamaEngine(args.gguf, max_ctx=args.num_ctx, threads=args.threads)
    report = engine.load()
    constrained: list[dict[str, float]] = []
    free: list[dict[str, float]] = []
    for run in range(args.runs):
        constrained.append(one_call(engine, 2 * run, SCHEMA, args.num_predict))
        free.append(one_call(engine, 2 * run + 1, None, args.num_predict))
    c, u = summarize(constrained), summarize(free)
    result = {
        "machine": {
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
            "nproc": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        },
        "model": engine.model_name,
        "threads": args.threads,
        "runs": args.runs,
        "load_s": report.load_duration / 1e9,
        "constrained": c,
        "unconstrained": u,
        "constrained_over_unconstrained_decode": c["decode_tok_s"] / u["decode_tok_s"],
        "per_run": {"constrained": constrained, "unconstrained": free},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    m = result["machine"]
    print(
        f"machine: nproc={m['nproc']} affinity={m['affinity']} loadavg before={load_before[0]:.2f} after={m['loadavg_after'][0]:.2f}"
    )
    print(f"model: {result['model']}  threads={args.threads}  runs={args.runs}  load={result['load_s']:.3f} s")
    print(f"{'median':<14}{'ttft s':>9}{'decode tok/s':>14}{'prompt tok/s':>14}{'prompt tok':>12}{'eval tok':>10}")
    for name, row in (("schema", c), ("unconstrained", u)):
        print(
            f"{name:<14}{row['ttft_s']:>9.3f}{row['decode_tok_s']:>14.1f}{row['prompt_tok_s']:>14.1f}"
            f"{row['prompt_tokens']:>12.0f}{row['eval_tokens']:>10.0f}"
        )
    print(f"constrained/unconstrained decode speed: {result['constrained_over_unconstrained_decode']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
