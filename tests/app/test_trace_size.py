"""A huge model reply through the whole ladder (parse failure, re-ask, the documents' fallback) leaves a trace of
bounded size: measured on the stored record, not assumed from the event model."""

from __future__ import annotations

from pathlib import Path

from chains.trace import TRACE_TEXT_MAX_CHARS
from tests.fake_service import make_service

Q = "Which port does Ollama listen on by default?"
HUGE = "x" * (10 * 1024 * 1024)  # 10 MB that no rung of the parse ladder can read


def test_a_10_mb_reply_makes_a_bounded_trace(tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [HUGE, HUGE]}, reasks=1)
    try:
        r = svc.ask(Q)
        assert r.status == "fallback" and r.rung == "extractive" and r.llm_calls == 2
        svc.traces.count()  # waits for the trace writer
        stored = svc.traces.get(r.trace_id)
        assert stored is not None
        size = len(stored.model_dump_json().encode("utf-8"))
        # before the cap: ~42 MB (the reply stored whole in each model call, parse failure and re-ask event)
        assert size < 20 * TRACE_TEXT_MAX_CHARS, size
        carried = [e for e in stored.events if e.raw_output]
        assert [e.name for e in carried] == ["model_call", "parse_ladder", "reask", "model_call", "parse_ladder"]
        for event in carried:
            assert event.raw_output is not None and event.raw_output.startswith("xxxx")
            assert f"{len(HUGE)} characters in all" in event.raw_output
    finally:
        svc.close()
