"""One question through the guarded pipeline, on the parts the service is made of.

What runs inside a request: the QAPipeline it gets (input checks, retrieval, retrieval checks, the generation
ladder over the backend's rungs), the run itself, the screen of a client's own system prompts, and the
empty-index verdict. What surrounds a request stays in the service (app/service_ask.py): options, the backend
choice, the trace id, typing failures as `error` results, persisting the trace. So the service is a facade
and this module has one job.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.components import Components
from app.models.backend import BackendChoice
from app.models.chaos import ChaosConfig
from app.retrieval import traced_retriever
from app.settings import Settings
from app.signals import SignalBank
from app.system_prompts import screen_system
from chains import (
    GenerationLadder,
    LadderPolicy,
    QAConfig,
    QAPipeline,
    QARequest,
    QAResult,
    TraceCollector,
    TraceEvent,
    run_qa,
)
from guardrails import Guardrail, GuardrailPolicy, Stage

EMPTY_INDEX = "The index is empty: run `guarded-rag ingest` (or `make run`, which indexes data/docs) first."
REBUILDING = "The index is being rebuilt ({holder}) and holds no passages yet; ask again when the rebuild has finished."
REBUILDING_PARTLY = (
    "The index is being rebuilt ({holder}) and holds only part of your documents yet, so whether they answer this "
    "is not known; ask again when the rebuild has finished."
)
UNFINISHED_REBUILD = "Whether your documents answer this is not known: {unfinished}."
OLLAMA_RUNGS = ("primary", "fallback_model")  # the rungs app.models.rungs builds on Ollama


@dataclass(frozen=True)
class RequestRunner:
    """Builds and runs a request's pipeline. Holds no per-request state: one per service, shared by its threads."""

    parts: Components
    transport_errors: tuple[type[BaseException], ...]
    ollama_host: str
    redact_questions: bool

    def pipeline(
        self,
        settings: Settings,
        guardrails: dict[Stage, tuple[Guardrail, ...]],
        ladder: GenerationLadder,
        cancelled: Callable[[], bool] | None = None,
        *,
        collector: TraceCollector | None = None,
        signals: SignalBank | None = None,
    ) -> QAPipeline:
        """`collector`: a request's trace, where index and embedder failures are recorded (retrieval typed as
        RetrievalFailed); without one (screen_retrieval) they propagate as they are. `signals`: the request's
        (default: the service's own)."""
        return QAPipeline(
            guardrails={"input": guardrails["input"], "retrieval": guardrails["retrieval"], "output": ()},
            retrieve=traced_retriever(
                lambda: self.parts.searcher(settings),
                collector,
                transport_errors=self.transport_errors,
                ollama_host=self.ollama_host,
            )
            if collector is not None
            else self.parts.searcher(settings),
            ladder=ladder,
            signals=signals or self.parts.signals(),
            config=QAConfig(
                top_k=settings.top_k,
                num_ctx=settings.num_ctx,
                num_predict=settings.num_predict,
                latency_budget_s=settings.latency_budget,
                cancelled=cancelled,
            ),
        )

    def run(
        self,
        request: QARequest,
        settings: Settings,
        policy: GuardrailPolicy,
        choice: BackendChoice,
        chaos: ChaosConfig | None,
        collector: TraceCollector,
        cancelled: Callable[[], bool] | None = None,
    ) -> QAResult:
        """The guarded chain for one question on `choice`'s rungs (chaos faults injected when asked for)."""
        guardrails = self.parts.guardrails(policy)
        chaos_hook: Callable[[str, str], None] | None = None
        if chaos is not None:
            chaos = chaos.model_copy(update={"seed": chaos.seed if chaos.seed is not None else random.randrange(2**31)})

            def on_fault(fault: str, description: str) -> None:
                collector.add(TraceEvent(step="chaos", name=f"chaos:{fault}", outcome="fired", reason=description))

            chaos_hook = on_fault
        rungs = self.parts.rung_builder().build(choice, settings, chaos=chaos, on_fault=chaos_hook)
        ladder = GenerationLadder(
            rungs=rungs,
            output_guardrails=guardrails["output"],
            policy=LadderPolicy(retries=settings.retries, reasks=settings.reasks, transport_errors=self.transport_errors),
            signals=self.parts.signals().for_policy(policy),
        )
        signals = self.parts.request_signals(settings, policy, choice, {"callbacks": [collector]})
        pipeline = self.pipeline(settings, guardrails, ladder, cancelled, collector=collector, signals=signals)
        result = run_qa(pipeline, request, collector=collector)
        # Refused as not in the documents: with an empty index that is a setup problem, not an answer; while another
        # process rebuilds the index (or the last rebuild stopped midway), the documents are only partly back, so
        # "not in your documents" is not known.
        # (Checked after the fact, so a normal question pays no count() call.)
        if result.status == "refused" and not any(v.fired and v.stage == "input" for v in result.verdicts):
            docs = self.parts.docs()
            empty = not result.retrieved and docs.is_empty()
            partly = empty or any(v.fired and v.name == "relevance" for v in result.verdicts)
            rebuilding = docs.rebuilding() if partly else None
            if rebuilding is not None:
                message = (REBUILDING if empty else REBUILDING_PARTLY).format(holder=rebuilding)
                return result.model_copy(update={"status": "error", "message": message})
            # A rebuild that was killed or interrupted left only part of the documents (app.documents.rebuild_marker).
            unfinished = docs.unfinished_rebuild() if partly else None
            if unfinished is not None:
                message = UNFINISHED_REBUILD.format(unfinished=unfinished)
                return result.model_copy(update={"status": "error", "message": message})
            if empty:
                return result.model_copy(update={"status": "error", "message": EMPTY_INDEX})
        return result

    def screen_system(self, system: Sequence[str], policy: GuardrailPolicy, collector: TraceCollector) -> QAResult | None:
        """A client's own system prompts through the prompt_injection guardrail (never sent to the model)."""
        guard = next((g for g in self.parts.guardrails(policy)["input"] if g.name == "prompt_injection"), None)
        return screen_system(system, guard, collector, redact_questions=self.redact_questions)


def error_result(collector: TraceCollector, message: str, *, evidence: tuple[str, ...] = ()) -> QAResult:
    """A request that failed before or around the chain: a typed `error` result whose trace says why."""
    try:
        collector.add(TraceEvent(step="result", name="error", outcome="error", reason=message, evidence=evidence))
    except Exception:  # the caller's observer failed (again): the event is kept (added before it is told), it is told no more
        collector.detach()
    return QAResult(status="error", message=message, events=tuple(collector.events), llm_calls=collector.llm_calls)


def host_event(collector: TraceCollector, host: str, outcome: str, detail: str) -> None:
    """What the Ollama pool did for this question, in its trace (only a pool reports; one host adds nothing)."""
    status = {"ok": "ok", "retry": "retry", "skipped": "skipped"}.get(outcome, "error")
    collector.add(
        TraceEvent(step="backend", name="ollama_host", outcome=status, reason=f"{host}: {detail}", details={"host": host})
    )
