"""Benchmark: how long the embedded model stays busy after its reader goes away during prompt processing, and
what the smaller prompt batch (app.embedded.engine.EVAL_BATCH) costs in prompt speed. Both in one run,
alternating, so machine load affects both sides alike.

- prompt speed: the same ~1,500-token prompt evaluated with llama-cpp-python's default batch (512) and with
  EVAL_BATCH, alternating, the cache cleared before each run;
- stop latency: a chat on the app's engine whose reader goes away `--stop-after` seconds into its prompt; the
  time from the stop to the engine being free again (the next call can take its lock), against the time the
  whole prompt takes (what a stop cost before: the prompt ran to its end).

    python bench/bench_embedded_stop.py [--runs 3] [--threads 1] [--stop-after 1.0] [--json]
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

from app import EVAL_BATCH, LlamaEngine, Pump, locate_gguf

DOCS = Path(__file__).resolve().parents[1] / "data" / "docs"
DEFAULT_BATCH = 512  # llama-cpp-python's Llama(n_batch=...) default


def prompt_text(chars: int = 5000) -> str:
    english = sorted(p for p in DOCS.glob("*.md") if not p.stem.endswith("-zh"))
    return "\n\n".join(p.read_text(encoding="utf-8") for p in english)[:chars]


def prompt_seconds(llama: Any, tokens: list[int]) -> float:
    llama.reset()
    llama._ctx.kv_cache_clear()  # bench only: evaluate the whole prompt each run
    started = time.perf_counter()
    llama.eval(tokens)
    return time.perf_counter() - started


def stop_latency(engine: LlamaEngine, text: str, run: int, stop_after: float) -> dict[str, float]:
    """Seconds from the stop to the engine's lock being free, for a prompt stopped `stop_after` s in."""
    messages = [{"role": "user", "content": f"Run {run}.\n{text}\n\nSummarise this."}]  # no cached prefix
    pump = Pump(lambda: engine.chat(messages, format=None, options={"num_predict": 4}))
    time.sleep(stop_after)
    stopped = time.perf_counter()
    pump.cancel()
    engine.load()  # takes the engine's lock: returns once the stopped generation let go of it
    return {"free_after_stop_s": time.perf_counter() - stopped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--stop-after", type=float, default=1.0, help="seconds into the prompt the reader goes away")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from llama_cpp import Llama

    load_before = os.getloadavg()
    path = str(locate_gguf(None))
    text = prompt_text()
    models = {
        batch: Llama(
            model_path=path, n_ctx=2048, n_batch=batch, n_threads=args.threads, n_threads_batch=args.threads, verbose=False
        )
        for batch in (DEFAULT_BATCH, EVAL_BATCH)
    }
    tokens = models[EVAL_BATCH].tokenize(text.encode())
    prompt: dict[int, list[float]] = {batch: [] for batch in models}
    for _ in range(args.runs):
        for batch, llama in models.items():
            prompt[batch].append(prompt_seconds(llama, tokens))
    for llama in models.values():
        llama.close()
    engine = LlamaEngine(None, max_ctx=2048, threads=args.threads)
    engine.load()
    stops = [stop_latency(engine, text, run, args.stop_after) for run in range(args.runs)]
    whole = statistics.median(prompt[EVAL_BATCH])
    free = statistics.median(s["free_after_stop_s"] for s in stops)
    result = {
        "machine": {"loadavg_before": load_before, "loadavg_after": os.getloadavg(), "nproc": os.cpu_count()},
        "threads": args.threads,
        "runs": args.runs,
        "prompt_tokens": len(tokens),
        "prompt_s": {str(batch): statistics.median(times) for batch, times in prompt.items()},
        "prompt_s_per_run": {str(batch): times for batch, times in prompt.items()},
        "small_over_default_prompt_time": whole / statistics.median(prompt[DEFAULT_BATCH]),
        "free_after_stop_s": free,
        "free_after_stop_per_run": [s["free_after_stop_s"] for s in stops],
        "stop_after_s": args.stop_after,
        "whole_prompt_over_free_after_stop": whole / max(free, 1e-9),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"prompt: {len(tokens)} tokens, threads={args.threads}, runs={args.runs}, load before {load_before[0]:.2f}")
    for batch, seconds in result["prompt_s"].items():
        print(f"  batch {batch:>4}: {seconds:.2f} s (median)")
    print(f"  batch {EVAL_BATCH} / batch {DEFAULT_BATCH} prompt time: {result['small_over_default_prompt_time']:.2f}")
    print(
        f"stopped {args.stop_after:g} s into the prompt: engine free {free:.2f} s after the stop "
        f"(the whole prompt takes {whole:.2f} s: {result['whole_prompt_over_free_after_stop']:.0f}x longer)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
