"""What a stored trace keeps of its guardrails' inputs (issue #14): every stage's context and verdicts as the
guardrails saw them, bounded by GUARDED_RAG_TRACE_INPUTS_KB, and nothing at all when questions are redacted."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fake_service import make_service

Q = "Which port does Ollama listen on by default?"
MADE_UP = json.dumps({"citations": ["S1"], "answer": "Ollama uses port 8080."})
GOOD = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})


def test_every_stage_keeps_what_its_guardrails_saw(tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [MADE_UP, GOOD]})
    r = svc.ask(Q)
    stored = svc.traces.get(r.trace_id)
    captures = stored.inputs.captures
    assert [(c.stage, c.attempt) for c in captures] == [("input", 1), ("retrieval", 1), ("output", 1), ("output", 2)]
    assert stored.inputs.policy == svc.policy
    assert captures[0].context.question == Q and not captures[0].context.chunks
    assert [c.chunk_id for c in captures[1].context.chunks] == [c.chunk_id for c in r.retrieved]
    assert captures[2].context.answer == "Ollama uses port 8080." and captures[2].context.citations == ("S1",)
    assert captures[2].rung == "embedded" and captures[2].rung_index == 0
    # the verdicts kept are the ones the trace's events show, in the same order
    kept = [(v.name, v.fired) for c in captures for v in c.verdicts]
    shown = [(e.name, e.outcome == "fired") for e in stored.events if "action" in e.details]
    assert kept == shown
    # hybrid retrieval's scores and the signals the relevance and grounding checks read, with the app's list of
    # the signals it computes per stage (bag-of-words embeddings: no semantic input detectors)
    assert all(c.lexical is not None and c.dense_rank is not None for c in captures[1].context.chunks)
    offered = [(), ("question_coverage",), ("grounding_similarity",), ("grounding_similarity",)]
    assert [c.signals_offered for c in captures] == offered
    assert "question_coverage" in captures[1].context.signals and "grounding_similarity" in captures[2].context.signals


def test_redacted_questions_keep_no_inputs(tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD]}, redact_questions=True)
    stored = svc.traces.get(svc.ask(Q).trace_id)
    assert stored.question.startswith("[redacted") and stored.inputs.captures == ()
    assert "GUARDED_RAG_REDACT_QUESTIONS" in stored.inputs.note
    assert Q not in stored.model_dump_json()  # neither the question nor the passages it retrieved


def test_the_size_cap_leaves_out_whole_stages_and_says_so(tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [MADE_UP, GOOD]}, trace_inputs_kb=4)
    stored = svc.traces.get(svc.ask(Q).trace_id)
    assert 0 < stored.inputs.omitted < 4 and len(stored.inputs.captures) == 4 - stored.inputs.omitted
    assert "per-trace cap of 4096 bytes" in stored.inputs.note
    off, _ = make_service(tmp_path / "off", scripts={"smollm2:135m": [GOOD]}, trace_inputs_kb=0)
    assert off.traces.get(off.ask(Q).trace_id).inputs.captures == ()


def test_the_collector_pause_is_scoped_and_never_leaves_it_off():
    import gc

    from app.traces import paused_gc

    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested (or another thread's) pause: only the outer one resumes
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    try:
        with paused_gc():
            raise ValueError("boom")
    except ValueError:
        pass
    assert gc.isenabled()
