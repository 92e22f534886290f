"""Load on `guarded-rag serve` (in this process, on a loopback port) with real HTTP clients.

Fake phase (default): a zero-latency scripted model over data/docs. First one client asking in sequence,
each question alternating with the same question through svc.ask_chat directly (no HTTP): what the HTTP
layer adds per request is the difference of the two. Then C concurrent clients x Q questions each over
/api/chat, half streamed, half not. Checks: 0 errors, every answer carries its sources, 0 lost traces
(every trace id in the store). Prints throughput and p50/p99 of end-to-end time, the chain's own
latency_ms, and end-to-end minus latency_ms (the HTTP layer, the trace write the service does after
latency_ms is taken, and under load the wait for a free slot).

Embedded phase (--embedded): the real in-process model (llama.cpp + SmolLM2, GUARDED_RAG_THREADS threads)
with a small slot count and queue, more clients than both: every request must get an answer or a 503 with
Retry-After, none may fail or hang.

    PYTHONPATH=. .venv/bin/python bench/bench_serve_load.py [--clients 50] [--questions 10] [--embedded] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

import httpx

from app import (
    BackendChoice,
    BagOfWordsEmbeddings,
    ChatMessage,
    GuardedRAG,
    ScriptedModelFactory,
    ServerThread,
    Settings,
    create_app,
    from_chat,
    percentile,
)

REPO = Path(__file__).resolve().parents[1]
MODEL = "smollm2:135m"
GOOD = '{"answer": "Ollama listens on port 11434.", "citations": ["S1"]}'
QUESTION = "What is the default address the Ollama server listens on?"  # S1 = ollama-install.md with the fake embeddings


def embedded(settings: Settings) -> BackendChoice:
    return BackendChoice(kind="embedded", model=MODEL, reason="bench: scripted zero-latency model", host=settings.ollama_host)


@dataclass(frozen=True)
class Outcome:
    status: int
    seconds: float
    trace_id: str | None
    chain_ms: float | None
    text: str
    retry_after: str | None = None


async def one(client: httpx.AsyncClient, stream: bool, question: str = QUESTION) -> Outcome:
    body = {"model": "guarded-rag", "messages": [{"role": "user", "content": question}], "stream": stream}
    started = time.perf_counter()
    try:
        if stream:
            async with client.stream("POST", "/api/chat", json=body) as r:
                status, headers = r.status_code, r.headers
                lines = [json.loads(line) async for line in r.aiter_lines() if line.strip()] if status == 200 else []
            final = lines[-1] if lines else {}
            text = "".join(line.get("message", {}).get("content", "") for line in lines)
        else:
            r = await client.post("/api/chat", json=body)
            status, headers = r.status_code, r.headers
            final = r.json() if status == 200 else {}
            text = final.get("message", {}).get("content", "")
    except httpx.HTTPError as exc:
        return Outcome(status=-1, seconds=time.perf_counter() - started, trace_id=None, chain_ms=None, text=repr(exc))
    chain = final.get("total_duration")
    return Outcome(
        status=status,
        seconds=time.perf_counter() - started,
        trace_id=headers.get("x-trace-id"),
        chain_ms=chain / 1e6 if isinstance(chain, int) and "error" not in final else None,
        text=text,
        retry_after=headers.get("retry-after"),
    )


async def clients(url: str, n_clients: int, n_questions: int, question: str = QUESTION) -> tuple[list[Outcome], float]:
    limits = httpx.Limits(max_connections=n_clients, max_keepalive_connections=n_clients)
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(600), limits=limits) as client:

        async def run(i: int) -> list[Outcome]:
            return [await one(client, stream=(i + q) % 2 == 0, question=question) for q in range(n_questions)]

        started = time.perf_counter()
        results = await asyncio.gather(*(run(i) for i in range(n_clients)))
        wall = time.perf_counter() - started
    return [o for batch in results for o in batch], wall


def summary(outcomes: list[Outcome], wall: float, svc: GuardedRAG) -> dict[str, Any]:
    ok = [o for o in outcomes if o.status == 200 and "11434" in o.text and "Sources:" in o.text]
    errors = len(outcomes) - len(ok)
    lost = sum(1 for o in ok if not o.trace_id or svc.traces.get(o.trace_id) is None)
    e2e = [o.seconds * 1000 for o in ok]
    chain = [o.chain_ms for o in ok if o.chain_ms is not None]
    overhead = [o.seconds * 1000 - o.chain_ms for o in ok if o.chain_ms is not None]

    def pct(xs: list[float], p: int) -> float:
        return round(percentile(xs, p), 2) if xs else float("nan")

    return {
        "requests": len(outcomes),
        "errors": errors,
        "lost_traces": lost,
        "wall_s": round(wall, 2),
        "throughput_rps": round(len(outcomes) / wall, 1),
        "e2e_p50_ms": pct(e2e, 50),
        "e2e_p99_ms": pct(e2e, 99),
        "chain_p50_ms": pct(chain, 50),
        "chain_p99_ms": pct(chain, 99),
        "overhead_p50_ms": pct(overhead, 50),
        "overhead_p99_ms": pct(overhead, 99),
    }


async def interleaved(url: str, svc: GuardedRAG, n: int) -> tuple[list[Outcome], float, list[float]]:
    """One client: each question once through svc.ask_chat directly and once over HTTP, alternating, so both
    see the same machine load (other processes on a shared machine move the numbers more than HTTP does)."""
    chat = from_chat([ChatMessage(role="user", content=QUESTION)])
    outcomes: list[Outcome] = []
    direct: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(600)) as client:
        for i in range(n):
            begin = time.perf_counter()
            svc.ask_chat(chat)  # blocks this loop only: the server runs on its own thread and loop
            direct.append((time.perf_counter() - begin) * 1000)
            outcomes.append(await one(client, stream=i % 2 == 0))
    return outcomes, sum(o.seconds for o in outcomes), direct


def fake_phase(n_clients: int, n_questions: int, sequential: int) -> dict[str, Any]:
    total = n_clients * n_questions + sequential + 10
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            home=Path(tmp), docs_dir=REPO / "data" / "docs", retries=0, max_inflight=8, max_queue=max(64, n_clients)
        )
        factory = ScriptedModelFactory(scripts={MODEL: [GOOD] * (total + sequential)}, embedded_model_name=MODEL)
        svc = GuardedRAG(settings, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=embedded)
        svc.ingest()
        svc.ask(QUESTION)  # warm: Chroma's first query, the policy, the trace DB
        with ServerThread(create_app(svc, warm=False)) as server:
            seq, seq_wall, direct = asyncio.run(interleaved(server.url, svc, sequential))
            load, load_wall = asyncio.run(clients(server.url, n_clients, n_questions))
            one_client = summary(seq, seq_wall, svc)
            d50, d99 = percentile(direct, 50), percentile(direct, 99)
            return {
                "sequential": {
                    "clients": 1,
                    "questions": sequential,
                    **one_client,
                    "direct_p50_ms": round(d50, 2),
                    "direct_p99_ms": round(d99, 2),
                    "http_overhead_p50_ms": round(one_client["e2e_p50_ms"] - d50, 2),
                    "http_overhead_p99_ms": round(one_client["e2e_p99_ms"] - d99, 2),
                },
                "concurrent": {
                    "clients": n_clients,
                    "questions": n_questions,
                    "max_inflight": settings.max_inflight,
                    **summary(load, load_wall, svc),
                },
            }


def embedded_phase(n_clients: int, max_inflight: int, max_queue: int) -> dict[str, Any]:
    """The real model: more clients than slots + queue; each must get an answer or a 503 + Retry-After."""
    threads = int(os.environ.get("GUARDED_RAG_THREADS", "1"))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            home=Path(tmp),
            docs_dir=REPO / "data" / "docs",
            backend="embedded",
            threads=threads,
            max_inflight=max_inflight,
            max_queue=max_queue,
        )
        svc = GuardedRAG(settings, embeddings=BagOfWordsEmbeddings())
        svc.ingest()
        svc.preload()
        with ServerThread(create_app(svc, warm=False)) as server:
            outcomes, wall = asyncio.run(clients(server.url, n_clients, 1))
    answered = [o for o in outcomes if o.status == 200 and o.text.strip()]
    busy = [o for o in outcomes if o.status == 503 and o.retry_after]
    return {
        "clients": n_clients,
        "max_inflight": max_inflight,
        "max_queue": max_queue,
        "threads": threads,
        "answered": len(answered),
        "busy_503": len(busy),
        "other": len(outcomes) - len(answered) - len(busy),
        "wall_s": round(wall, 1),
        "answered_p50_s": round(percentile([o.seconds for o in answered], 50), 2) if answered else None,
        "busy_p50_ms": round(percentile([o.seconds * 1000 for o in busy], 50), 1) if busy else None,
        "retry_after_s": sorted({int(o.retry_after or 0) for o in busy}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--questions", type=int, default=10, help="questions per client")
    parser.add_argument("--sequential", type=int, default=100, help="requests of the one-client run")
    parser.add_argument("--embedded", action="store_true", help="also the real embedded model phase (slow)")
    parser.add_argument("--embedded-clients", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result: dict[str, Any] = fake_phase(args.clients, args.questions, args.sequential)
    if args.embedded:
        result["embedded"] = embedded_phase(args.embedded_clients, max_inflight=1, max_queue=2)
    clean = all(result[k]["errors"] == 0 and result[k]["lost_traces"] == 0 for k in ("sequential", "concurrent"))
    if "embedded" in result:
        clean = clean and result["embedded"]["other"] == 0
    result["clean"] = clean
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0 if clean else 1
    for phase in ("sequential", "concurrent"):
        r = result[phase]
        print(f"{phase}: {r['clients']} client(s) x {r['questions']} question(s), zero-latency fake model")
        print(
            f"  {r['requests']} requests in {r['wall_s']} s = {r['throughput_rps']} req/s; "
            f"errors {r['errors']}, lost traces {r['lost_traces']}"
        )
        print(f"  end-to-end  p50 {r['e2e_p50_ms']:8.2f} ms   p99 {r['e2e_p99_ms']:8.2f} ms")
        print(f"  chain       p50 {r['chain_p50_ms']:8.2f} ms   p99 {r['chain_p99_ms']:8.2f} ms")
        print(f"  e2e - chain p50 {r['overhead_p50_ms']:8.2f} ms   p99 {r['overhead_p99_ms']:8.2f} ms")
        if "direct_p50_ms" in r:
            print(f"  svc.ask_chat without HTTP p50 {r['direct_p50_ms']:8.2f} ms   p99 {r['direct_p99_ms']:8.2f} ms")
            print(f"  HTTP layer adds         p50 {r['http_overhead_p50_ms']:8.2f} ms   p99 {r['http_overhead_p99_ms']:8.2f} ms")
    if "embedded" in result:
        e = result["embedded"]
        print(
            f"embedded: {e['clients']} clients at once, {e['max_inflight']} slot(s) + {e['max_queue']} queued, "
            f"{e['threads']} thread(s): {e['answered']} answered (p50 {e['answered_p50_s']} s), "
            f"{e['busy_503']} x 503 (p50 {e['busy_p50_ms']} ms, Retry-After {e['retry_after_s']} s), "
            f"{e['other']} other, in {e['wall_s']} s"
        )
    print("clean" if clean else "NOT CLEAN")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
