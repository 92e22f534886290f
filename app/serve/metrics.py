"""Prometheus metrics of one HTTP service instance: requests by route and status, latency histograms,
answers by outcome, guardrail fires, model calls, the queue, rejections, disconnects, front-end task calls.

One registry per app (no process-global state: two apps in one process, as in the tests, count apart).
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from app import AskResponse

CONTENT_TYPE = CONTENT_TYPE_LATEST
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "guarded_rag_http_requests", "HTTP requests by route, method and status", ["route", "method", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "guarded_rag_http_request_seconds", "Request start to the last byte sent", ["route"], buckets=_SECONDS, registry=r
        )
        self.answers = Counter(
            "guarded_rag_answers", "Questions answered, by outcome and API dialect", ["status", "dialect"], registry=r
        )
        self.guardrails = Counter(
            "guarded_rag_guardrail_fired", "Guardrail fires on served questions", ["guardrail", "stage"], registry=r
        )
        self.model_calls = Counter("guarded_rag_model_calls", "Model calls made for served questions", registry=r)
        self.ask_seconds = Histogram(
            "guarded_rag_ask_seconds", "Time in the guarded chain per question", buckets=_SECONDS, registry=r
        )
        self.queue_seconds = Histogram(
            "guarded_rag_queue_wait_seconds", "Time a question waited for a free slot", buckets=_SECONDS, registry=r
        )
        self.inflight = Gauge("guarded_rag_inflight", "Questions being answered now", registry=r)
        self.queued = Gauge("guarded_rag_queued", "Questions waiting for a slot", registry=r)
        self.rejected = Counter("guarded_rag_rejected", "Requests refused before any work, by reason", ["reason"], registry=r)
        self.disconnects = Counter("guarded_rag_client_disconnects", "Clients gone before their answer was sent", registry=r)
        self.tasks = Counter("guarded_rag_task_calls", "Front-end task calls answered without a model", ["task"], registry=r)

    def observe_answer(self, resp: AskResponse, dialect: str) -> None:
        """Called from the worker thread (prometheus_client is thread-safe)."""
        self.answers.labels(status=resp.status, dialect=dialect).inc()
        for g in resp.guardrails:
            if g.fired:
                self.guardrails.labels(guardrail=g.name, stage=g.stage).inc()
        self.model_calls.inc(resp.llm_calls)
        self.ask_seconds.observe(resp.latency_ms / 1000)

    def render(self) -> bytes:
        return generate_latest(self.registry)
