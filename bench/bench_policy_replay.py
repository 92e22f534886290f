"""What replaying stored traces under another policy costs (issue #14 target: 1,000 traces in <= 2 s, no model and
no embedding call). Builds a trace store by asking N questions (data/eval's questions, cycled and numbered) through
svc.ask over data/docs with bag-of-words embeddings and a zero-latency scripted model whose replies make every
output path happen (accepted, re-asked, fallback), then measures in one run:

- read: the N traces with their inputs from the store (TraceStore.list(full=True));
- replay: under a changed relevance threshold (only relevance is recomputed, the rest keep their stored verdict);
- replay, all guardrails changed: every guardrail's parameters differ, so every decision is recomputed;
- fresh: every decision recomputed even where nothing changed (what the purity tests use).

    PYTHONPATH=. .venv/bin/python bench/bench_policy_replay.py [--n 1000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import (
    BackendChoice,
    BagOfWordsEmbeddings,
    GuardedRAG,
    ScriptedModelFactory,
    Settings,
    TraceFilter,
    replay_traces,
)

REPO = Path(__file__).resolve().parents[1]
MODEL = "smollm2:135m"
TARGET_S = 2.0
REPLIES = [
    '{"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."}',
    '{"citations": ["S2"], "answer": "Set OLLAMA_HOST to 0.0.0.0 and restart the service."}',
    '{"citations": [], "answer": "It depends on your setup."}',
    "not JSON at all",
]
# Every guardrail with parameters other than the defaults (values kept valid): each decision is recomputed.
ALL_CHANGED = {
    "input_size": {"max_chars": 1999},
    "prompt_injection": {"min_families": 1, "scan_history": True, "semantic_threshold": 0.6},
    "completeness": {"max_questions": 2, "semantic_threshold": 0.55},
    "relevance": {"min_hybrid": 0.3, "min_hybrid_zh": 0.2, "unknown_weight": 0.3},
    "context_injection": {"max_evidence": 9},
    "degenerate_output": {"min_repeats": 3},
    "citations": {"require_citation": False},
    "grounding": {"min_overlap": 0.45, "min_similarity": 0.5},
    "answer_relevance": {"max_new_units": 2},
}


def questions(folder: Path = REPO / "data" / "eval") -> list[str]:
    """Every question of the eval sets; a set of document passages (doc_injection*: "text", no question) adds none."""
    found = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            question = json.loads(line).get("question") if line.strip() else None
            if isinstance(question, str) and question.strip():
                found.append(question)
    return found


def embedded(settings: Settings) -> BackendChoice:
    return BackendChoice(kind="embedded", model=MODEL, reason="bench: scripted zero-latency model", host=settings.ollama_host)


CPU: dict[str, float] = {}  # CPU seconds of the last timed call: on a busy machine wall time includes waiting for a core


def timed(fn):
    started, cpu = time.perf_counter(), time.process_time()
    out = fn()
    CPU["last"] = time.process_time() - cpu
    return time.perf_counter() - started, out


def measure(n: int) -> dict:
    pool = questions()
    with tempfile.TemporaryDirectory() as tmp:
        factory = ScriptedModelFactory(scripts={MODEL: REPLIES * (n * 3 // len(REPLIES) + 10)}, embedded_model_name=MODEL)
        settings = Settings(home=Path(tmp) / "home", docs_dir=REPO / "data" / "docs", retries=0, reasks=2)
        with GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=embedded) as svc:
            svc.ingest()
            build_s, _ = timed(lambda: [svc.ask(f"{pool[i % len(pool)]} ({i})") for i in range(n)])
            svc.traces.flush()
            read_s, records = timed(lambda: svc.traces.list(TraceFilter(limit=n), full=True))
            read_cpu = CPU["last"]
            changed = svc.policy.with_overrides({"relevance": {"min_hybrid": 0.5}})
            replay_s, report = timed(lambda: replay_traces(records, changed))
            replay_cpu = CPU["last"]
            everything = svc.policy.with_overrides(ALL_CHANGED)
            all_s, all_report = timed(lambda: replay_traces(records, everything))
            fresh_s, fresh = timed(lambda: replay_traces(records, svc.policy, fresh=True))
            statuses: dict[str, int] = {}
            for r in records:
                statuses[r.status] = statuses.get(r.status, 0) + 1
            storage = stored_sizes(settings.trace_db)
    return {
        "traces": len(records),
        "replayed": report.replayed,
        "statuses": statuses,
        "build_s": round(build_s, 2),
        "read_s": round(read_s, 3),
        "replay_relevance_s": round(replay_s, 3),
        "read_plus_replay_s": round(read_s + replay_s, 3),
        "read_plus_replay_cpu_s": round(read_cpu + replay_cpu, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "replay_all_changed_s": round(all_s, 3),
        "replay_fresh_s": round(fresh_s, 3),
        "target_s": TARGET_S,
        "read_plus_replay_over_target": round((read_s + replay_s) / TARGET_S, 3),
        "replay_ms_per_trace": round(replay_s * 1000 / max(1, report.replayed), 3),
        "flipped": len(report.flipped),
        "outcome_changes": len(report.outcome_changes),
        "needs_model": len(report.needs_model),
        "flipped_all_changed": len(all_report.flipped),
        "fresh_flips": len(fresh.flipped),  # must be 0: the unchanged policy recomputes every stored decision
        **storage,
    }


def stored_sizes(db: Path) -> dict:
    """What the inputs take in the SQLite file: per trace, and how much storing chunk texts once saves."""
    with closing(sqlite3.connect(db)) as conn:
        traces, body = conn.execute("SELECT count(*), sum(length(inputs_json)) FROM trace_inputs").fetchone()
        refs = conn.execute("SELECT inputs_json FROM trace_inputs").fetchall()
        texts = dict(conn.execute("SELECT digest, length(text) FROM chunk_texts").fetchall())
    referenced = sum(texts.get(d, 0) for (j,) in refs for d in re.findall(r'"text_ref":"([0-9a-f]{32})"', j))
    kept = sum(texts.values())
    return {
        "inputs_bytes_per_trace": round((body + kept) / max(1, traces)),
        "chunk_texts_stored": len(texts),
        "chunk_text_chars_referenced": referenced,
        "chunk_text_chars_stored": kept,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = measure(args.n)
    if args.json:
        print(json.dumps(result))
        return
    print(f"{result['traces']} traces stored ({result['statuses']}), built in {result['build_s']} s")
    print(f"read with inputs:                     {result['read_s']:.3f} s")
    print(
        f"replay, relevance threshold changed:  {result['replay_relevance_s']:.3f} s ({result['replay_ms_per_trace']} ms/trace)"
    )
    print(
        f"read + replay:                        {result['read_plus_replay_s']:.3f} s = {result['read_plus_replay_over_target']:.2f} x the {TARGET_S:.0f} s target"
    )
    print(
        f"read + replay, CPU time:              {result['read_plus_replay_cpu_s']:.3f} s (load average {result['load_average']})"
    )
    print(f"replay, every guardrail changed:      {result['replay_all_changed_s']:.3f} s")
    print(
        f"replay, fresh (all recomputed):       {result['replay_fresh_s']:.3f} s; flips with the unchanged policy: {result['fresh_flips']}"
    )
    print(f"flipped {result['flipped']}, outcome changes {result['outcome_changes']}, needs the model {result['needs_model']}")
    print(
        f"stored inputs: {result['inputs_bytes_per_trace']} bytes/trace; chunk texts: {result['chunk_texts_stored']} stored once, "
        f"{result['chunk_text_chars_stored']} chars for {result['chunk_text_chars_referenced']} chars referenced"
    )


if __name__ == "__main__":
    main()
