"""What OpenTelemetry export costs a request, measured with a zero-latency scripted model (no llama.cpp): svc.ask
with export off (the default; the SDK is not loaded) vs on, exporting over OTLP/HTTP to a receiver on loopback,
vs on with a receiver that never answers (a hung backend), alternating in one run. Reports request latency
p50/p99 and the ratios to export off, and the wall time per request until every trace is stored and every span
handed to the exporter (the export work the trace writer and the export thread do after the request).

    PYTHONPATH=. .venv/bin/python bench/bench_telemetry.py [--n 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import BackendChoice, BagOfWordsEmbeddings, GuardedRAG, ScriptedModelFactory, Settings, percentile, write_docs

MODEL = "smollm2:135m"
GOOD = '{"answer": "Ollama listens on port 11434.", "citations": ["S1"]}'
QUESTION = "What port does Ollama listen on by default?"


def receiver(hang: bool) -> tuple[ThreadingHTTPServer, str]:
    """An OTLP/HTTP endpoint on loopback that accepts every export (or never answers)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if hang:
                time.sleep(3600)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def embedded(settings: Settings) -> BackendChoice:
    return BackendChoice(kind="embedded", model=MODEL, reason="bench: scripted zero-latency model", host=settings.ollama_host)


def service(root: Path, n: int, **settings: object) -> GuardedRAG:
    factory = ScriptedModelFactory(scripts={MODEL: [GOOD] * (n + 5)}, embedded_model_name=MODEL)
    base = Settings(home=root / "home", docs_dir=write_docs(root / "docs"), retries=0, reasks=2, otel_timeout=1.0, **settings)  # type: ignore[arg-type]
    svc = GuardedRAG(base, embeddings=BagOfWordsEmbeddings(), factory=factory, choose=embedded)
    svc.ingest()
    svc.ask(QUESTION)  # warm: Chroma's first query, the trace DB, the exporter's first connection
    svc.traces.flush()
    return svc


def measure(n: int) -> dict:
    ok_server, ok_url = receiver(hang=False)
    hung_server, hung_url = receiver(hang=True)
    with tempfile.TemporaryDirectory() as tmp:
        services = {
            "off": service(Path(tmp) / "off", n),
            "on": service(Path(tmp) / "on", n, otel_endpoint=ok_url),
            "hung": service(Path(tmp) / "hung", n, otel_endpoint=hung_url),
        }
        latency: dict[str, list[float]] = {name: [] for name in services}
        for _ in range(n):  # alternating, so machine load hits every variant alike
            for name, svc in services.items():
                started = time.perf_counter()
                svc.ask(QUESTION)
                latency[name].append((time.perf_counter() - started) * 1000)
        for svc in services.values():
            svc.traces.flush()
        # Throughput with the work after the request included: n asks, then until every trace is stored and
        # its spans are handed to the exporter.
        drain = {}
        for name, svc in services.items():
            started = time.perf_counter()
            for _ in range(n // 2):
                svc.ask("Is this plan reasonable?")  # clarify: no model call, so export is a larger share
            svc.traces.flush()
            drain[name] = (time.perf_counter() - started) * 1000 / (n // 2)
        status = {name: svc.telemetry_status() for name, svc in services.items()}
        closing = {}
        for name, svc in services.items():
            started = time.perf_counter()
            svc.close()
            closing[name] = (time.perf_counter() - started) * 1000
    ok_server.shutdown()
    hung_server.shutdown()
    p50 = {name: percentile(values, 50) for name, values in latency.items()}
    p99 = {name: percentile(values, 99) for name, values in latency.items()}
    return {
        "n": n,
        **{f"{name}_p50_ms": round(p50[name], 2) for name in services},
        **{f"{name}_p99_ms": round(p99[name], 2) for name in services},
        "ratio_on_p50": round(p50["on"] / p50["off"], 2),
        "ratio_on_p99": round(p99["on"] / p99["off"], 2),
        "ratio_hung_p50": round(p50["hung"] / p50["off"], 2),
        **{f"{name}_per_request_drained_ms": round(drain[name], 2) for name in services},
        "ratio_on_drained": round(drain["on"] / drain["off"], 2),
        "on_spans_exported": status["on"].spans_exported,
        "on_spans_lost": status["on"].lost,
        "hung_spans_failed": status["hung"].spans_failed,
        "hung_close_ms": round(closing["hung"]),
        "on_close_ms": round(closing["on"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="requests per variant")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    r = measure(args.n)
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"OpenTelemetry export cost per request, zero-latency fake model, n={r['n']} per variant")
    for name in ("off", "on", "hung"):
        print(f"  export {name:<4} svc.ask p50 {r[f'{name}_p50_ms']:8.2f} ms   p99 {r[f'{name}_p99_ms']:8.2f} ms")
    print(f"  ratio on/off   p50 {r['ratio_on_p50']}x  p99 {r['ratio_on_p99']}x;  hung/off p50 {r['ratio_hung_p50']}x")
    print(
        f"  per request until stored and handed to export (clarify path): off {r['off_per_request_drained_ms']} ms, "
        f"on {r['on_per_request_drained_ms']} ms ({r['ratio_on_drained']}x), hung {r['hung_per_request_drained_ms']} ms"
    )
    print(f"  spans exported {r['on_spans_exported']}, lost {r['on_spans_lost']}; hung backend: {r['hung_spans_failed']} failed")
    print(f"  close(): on {r['on_close_ms']} ms, hung {r['hung_close_ms']} ms (bounded by the 1 s export timeout + 1 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
