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
    # retrieval in two parts: the checks that leave passages out on every passage, then relevance on the rest
    assert [(c.stage, c.part, c.attempt) for c in captures] == [
        ("input", "whole", 1),
        ("retrieval", "filter", 1),
        ("retrieval", "judge", 1),
        ("output", "whole", 1),
        ("output", "whole", 2),
    ]
    assert stored.inputs.policy == svc.policy
    assert captures[0].context.question == Q and not captures[0].context.chunks
    assert [c.chunk_id for c in captures[1].context.chunks] == [c.chunk_id for c in r.retrieved]
    assert captures[2].context.chunks == captures[1].context.chunks  # nothing was dropped
    assert captures[3].context.answer == "Ollama uses port 8080." and captures[3].context.citations == ("S1",)
    assert captures[3].rung == "embedded" and captures[3].rung_index == 0
    # the verdicts kept are the ones the trace's events show, in the same order
    kept = [(v.name, v.fired) for c in captures for v in c.verdicts]
    shown = [(e.name, e.outcome == "fired") for e in stored.events if "action" in e.details]
    assert kept == shown
    # hybrid retrieval's scores and the signals the relevance and grounding checks read, with the app's list of
    # the signals it computes per stage (bag-of-words embeddings: no semantic input detectors)
    assert all(c.lexical is not None and c.dense_rank is not None for c in captures[1].context.chunks)
    coverage, similarity = ("question_coverage",), ("grounding_similarity",)
    assert [c.signals_offered for c in captures] == [(), coverage, coverage, similarity, similarity]
    assert "question_coverage" in captures[2].context.signals and "grounding_similarity" in captures[3].context.signals


def test_redacted_questions_keep_no_inputs(tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD]}, redact_questions=True)
    stored = svc.traces.get(svc.ask(Q).trace_id)
    assert stored.question.startswith("[redacted") and stored.inputs.captures == ()
    assert "GUARDED_RAG_REDACT_QUESTIONS" in stored.inputs.note
    assert Q not in stored.model_dump_json()  # neither the question nor the passages it retrieved


def test_the_size_cap_leaves_out_whole_stages_and_says_so(tmp_path: Path):
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [MADE_UP, GOOD]}, trace_inputs_kb=4)
    stored = svc.traces.get(svc.ask(Q).trace_id)
    assert 0 < stored.inputs.omitted < 5 and len(stored.inputs.captures) == 5 - stored.inputs.omitted
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


# -- the size cap: what is kept, and linear work however many captures there are -----------------------------
def _captures(n: int, *, passages: int = 5) -> tuple:
    """`n` captures: system-prompt screens and retrieval stages whose chunks share a few passages (each distinct
    text is stored, and so counted, once per trace)."""
    from chains import GuardInputs
    from guardrails import Chunk, GuardContext, Verdict

    made = []
    for i in range(n):
        if i % 3:
            ctx = GuardContext(question=f"You are helpful assistant number {i}. ünïcödé 字")
        else:
            chunks = tuple(
                Chunk(chunk_id=f"c{(i + j) % passages}", source="doc.md", text=f"passage {(i + j) % passages} " * 40, score=0.5)
                for j in range(2)
            )
            ctx = GuardContext(question=f"question {i}", chunks=chunks)
        verdict = Verdict(name="prompt_injection", stage="input", fired=False, reason="no pattern matched")
        made.append(GuardInputs(stage="input", scope="system" if i % 3 else "chain", context=ctx, verdicts=(verdict,)))
    return tuple(made)


def _trimmed_by_measuring_each_prefix(inputs, cap_bytes: int):
    """The rule the cap follows (what bounded() did, quadratically, before): drop the last capture until the
    rest fits."""
    from app.traces.inputs import stored_size

    captures = list(inputs.captures)
    while captures and stored_size(inputs.model_copy(update={"captures": tuple(captures)})) > cap_bytes:
        captures.pop()
    return tuple(captures)


def test_the_size_cap_keeps_the_most_whole_captures_that_fit():
    from app.traces import TraceInputs, bounded
    from app.traces.inputs import stored_size

    inputs = TraceInputs(captures=_captures(60), note="kept from before")
    whole = stored_size(inputs)
    assert bounded(inputs, whole) is inputs  # fits exactly: untouched
    for cap in (10, 200, 1_000, 4_096, 10_000, whole // 2, whole - 1):
        kept = bounded(inputs, cap)
        expected = _trimmed_by_measuring_each_prefix(inputs, cap)
        assert kept.captures == expected, cap
        assert kept.omitted == 60 - len(expected)
        assert kept.note == (
            f"{60 - len(expected)} of 60 stage input(s) not kept: {whole} bytes exceed the per-trace cap of {cap} bytes "
            "(GUARDED_RAG_TRACE_INPUTS_KB)"
        )


def test_trimming_a_large_input_serializes_it_once_not_once_per_capture_dropped(monkeypatch):
    """Found by exploratory testing: 2,000 client system prompts (one capture each) took 29 s to trim, since
    every capture dropped re-serialized all the others, on the one trace-writer thread: every trace write behind
    it waited (a fresh trace was a 404 for half a minute), and a 1 MB body would have held it for hours. The work
    is now linear: the JSON written while trimming stays within a few times the size of the inputs."""
    import json as real_json
    from types import SimpleNamespace

    import app.traces.inputs as module
    from app.traces import TraceInputs, bounded
    from app.traces.inputs import stored_size

    n, cap = 3_000, 64 * 1024
    inputs = TraceInputs(captures=_captures(n))
    whole = stored_size(inputs)
    written = 0

    def dumps(obj, **kwargs):
        nonlocal written
        text = real_json.dumps(obj, **kwargs)
        written += len(text)
        assert written <= 3 * whole, "trimming serialized the inputs over and over"
        return text

    monkeypatch.setattr(module, "json", SimpleNamespace(dumps=dumps, loads=real_json.loads))
    kept = bounded(inputs, cap)
    monkeypatch.undo()
    k = len(kept.captures)
    assert 0 < k < n and kept.captures == inputs.captures[:k] and kept.omitted == n - k
    assert stored_size(inputs.model_copy(update={"captures": inputs.captures[:k]})) <= cap  # within the bound
    assert stored_size(inputs.model_copy(update={"captures": inputs.captures[: k + 1]})) > cap  # and no more was dropped
    assert kept.note.startswith(f"{n - k} of {n} stage input(s) not kept: {whole} bytes exceed")
