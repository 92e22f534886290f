"""What trimming a trace's replay inputs to their size cap costs (app.traces.inputs.bounded, run on the one
trace-writer thread), against the former rule of re-measuring the whole inputs after each capture dropped: a
request with N client system prompts has ~N captures (before `serve` joined them past 16, 2,000 took 29 s).

    PYTHONPATH=. .venv/bin/python bench/bench_trace_inputs_cap.py [--n 500 1000 2000] [--cap-kb 64]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import GuardContext, GuardInputs, TraceInputs, Verdict, bounded, stored_size


def inputs_of(n: int) -> TraceInputs:
    verdict = Verdict(name="prompt_injection", stage="input", fired=False, reason="no pattern matched")
    captures = tuple(
        GuardInputs(
            stage="input",
            scope="system",
            context=GuardContext(question=f"You are a helpful assistant ({i})."),
            verdicts=(verdict,),
            signals_offered=(),
        )
        for i in range(n)
    )
    return TraceInputs(captures=captures)


def former(inputs: TraceInputs, cap_bytes: int) -> int:
    """The captures the former loop kept: one capture dropped, the whole rest measured again."""
    captures = list(inputs.captures)
    if stored_size(inputs) <= cap_bytes:
        return len(captures)
    while captures:
        captures.pop()
        if stored_size(inputs.model_copy(update={"captures": tuple(captures)})) <= cap_bytes:
            break
    return len(captures)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[500, 1000, 2000])
    ap.add_argument("--cap-kb", type=int, default=64)
    args = ap.parse_args()
    cap = args.cap_kb * 1024
    print(f"{'captures':>8} {'size KB':>8} {'kept':>5} {'former s':>9} {'now s':>7} {'ratio':>7}")
    for n in args.n:
        inputs = inputs_of(n)
        started = time.perf_counter()
        old_kept = former(inputs, cap)
        old_s = time.perf_counter() - started
        started = time.perf_counter()
        kept = bounded(inputs, cap)
        new_s = time.perf_counter() - started
        assert len(kept.captures) == old_kept, "the rule changed"
        print(
            f"{n:>8} {stored_size(inputs) / 1024:>8.0f} {old_kept:>5} {old_s:>9.2f} {new_s:>7.3f} {old_s / max(new_s, 1e-9):>6.0f}x"
        )


if __name__ == "__main__":
    main()
