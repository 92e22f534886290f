"""Time to the first visible answer token in the UI path (svc.ask with on_token, as views/chat.py streams it)
vs a bare ChatOllama stream of the same messages on the embedded backend (llama.cpp + SmolLM2-135M), in one
run, alternating so machine load hits both alike. "Visible" = the first character of the "answer" value
(what the chat page shows as provisional text), not the first JSON brace.

    PYTHONPATH=. .venv/bin/python bench/bench_ui_first_token.py [--runs 3] [--threads 1] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import GuardedRAG, Settings, percentile

try:  # the chat page's own decoder of the streaming JSON, so "visible" means what the UI shows
    from views.text import partial_answer
except ImportError:  # the UI is optional for this bench

    def partial_answer(buffer: str) -> str | None:
        key = buffer.find('"answer"')
        if key == -1 or ":" not in buffer[key:]:
            return None
        start = buffer.find('"', buffer.find(":", key) + 1)
        return (buffer[start + 1 :].split('"')[0] or None) if start != -1 else None


REPO = Path(__file__).resolve().parents[1]
QUESTION = "What port does Ollama listen on by default?"


class FirstVisible:
    def __init__(self, started: float, *, json_answer: bool) -> None:
        self.started, self.json_answer, self.buffer = started, json_answer, ""
        self.first_token_ms: float | None = None
        self.visible_ms: float | None = None

    def __call__(self, token: str) -> None:
        now = (time.perf_counter() - self.started) * 1000
        self.first_token_ms = self.first_token_ms if self.first_token_ms is not None else now
        self.buffer += token
        shown = partial_answer(self.buffer) if self.json_answer else self.buffer.strip()
        if self.visible_ms is None and shown:
            self.visible_ms = now


def measure(runs: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        svc = GuardedRAG(Settings(home=Path(tmp), backend="embedded", docs_dir=REPO / "data" / "docs", threads=threads))
        svc.ingest()
        model = svc.answering_model().model
        prompt = svc.answer_prompt(QUESTION)  # the messages and schema svc.ask sends
        messages = list(prompt.messages)
        bare_schema = svc.chat_model(format=prompt.schema, timeout=svc.settings.load_timeout)
        bare_free = svc.chat_model(timeout=svc.settings.load_timeout)
        svc.ask(QUESTION)  # load the model and warm Chroma: we compare warm paths
        rows: dict[str, list[tuple[float | None, float | None]]] = {
            "ui_ask": [],
            "bare_stream_schema": [],
            "bare_stream_free": [],
        }
        for _ in range(runs):
            sink = FirstVisible(time.perf_counter(), json_answer=True)
            svc.ask(QUESTION, on_token=sink)
            rows["ui_ask"].append((sink.first_token_ms, sink.visible_ms))
            for name, llm, as_json in (("bare_stream_schema", bare_schema, True), ("bare_stream_free", bare_free, False)):
                sink = FirstVisible(time.perf_counter(), json_answer=as_json)
                for chunk in llm.stream(messages):
                    sink(chunk.content if isinstance(chunk.content, str) else str(chunk.content))
                rows[name].append((sink.first_token_ms, sink.visible_ms))
        svc.close()  # write the queued traces before the temporary home goes away
    out: dict = {"runs": runs, "threads": threads, "model": model}
    for name, pairs in rows.items():
        firsts = [f for f, _ in pairs if f is not None]
        visible = [v for _, v in pairs if v is not None]
        out[name] = {
            "first_token_p50_ms": _r(percentile(firsts, 50)),
            "visible_p50_ms": _r(percentile(visible, 50)),
            "visible_max_ms": _r(max(visible, default=None)),
            "never_visible": len(pairs) - len(visible),
        }
    ui, bare = out["ui_ask"]["visible_p50_ms"], out["bare_stream_schema"]["visible_p50_ms"]
    out["ui_over_bare_visible_p50"] = round(ui / bare, 2) if ui and bare else None
    return out


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUARDED_RAG_THREADS", "1")))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.runs, args.threads)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"time to first visible answer token, embedded {result['model']}, {args.runs} runs, {args.threads} thread(s)")
    for name in ("ui_ask", "bare_stream_schema", "bare_stream_free"):
        r = result[name]
        print(
            f"  {name:<20} first token p50 {r['first_token_p50_ms']} ms · first visible answer char p50 {r['visible_p50_ms']} ms (max {r['visible_max_ms']}, never {r['never_visible']})"
        )
    print(f"  UI path / bare schema stream (visible p50): {result['ui_over_bare_visible_p50']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
