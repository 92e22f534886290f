"""Every span attribute name guarded-rag exports, once: OpenTelemetry's GenAI semantic conventions (model calls),
the general ones (server, error), OpenInference's (the span kinds and text fields Arize Phoenix renders), and
guarded-rag's own namespace for what no convention covers (guardrails, rungs, the local trace id)."""

from __future__ import annotations

from typing import Final

# -- OpenTelemetry GenAI semantic conventions ------------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
GEN_AI_RETRIEVAL_QUERY_TEXT: Final = "gen_ai.retrieval.query.text"  # text: only with otel_export_text
OPERATION_CHAT: Final = "chat"
OPERATION_RETRIEVAL: Final = "retrieval"
PROVIDER_OLLAMA: Final = "ollama"  # the embedded engine speaks Ollama's API in-process: same provider, no server

# -- general conventions ---------------------------------------------------------------------------------
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
ERROR_TYPE: Final = "error.type"
SERVICE_NAME: Final = "service.name"  # a resource attribute

# -- OpenInference (what Phoenix shows as span kinds, inputs, outputs, token counts) ---------------------
OPENINFERENCE_SPAN_KIND: Final = "openinference.span.kind"
KIND_CHAIN: Final = "CHAIN"
KIND_LLM: Final = "LLM"
KIND_RETRIEVER: Final = "RETRIEVER"
KIND_GUARDRAIL: Final = "GUARDRAIL"
INPUT_VALUE: Final = "input.value"  # text: only with otel_export_text
OUTPUT_VALUE: Final = "output.value"  # text: only with otel_export_text
LLM_MODEL_NAME: Final = "llm.model_name"
LLM_TOKEN_COUNT_PROMPT: Final = "llm.token_count.prompt"
LLM_TOKEN_COUNT_COMPLETION: Final = "llm.token_count.completion"
LLM_TOKEN_COUNT_TOTAL: Final = "llm.token_count.total"

# -- guarded-rag's own -----------------------------------------------------------------------------------
TRACE_ID: Final = "guarded_rag.trace_id"  # the local trace (guarded-rag traces show <id>, the Traces page)
STATUS: Final = "guarded_rag.status"
BACKEND: Final = "guarded_rag.backend"
MODEL: Final = "guarded_rag.model"
RUNG: Final = "guarded_rag.rung"
LLM_CALLS: Final = "guarded_rag.llm_calls"
LATENCY_MS: Final = "guarded_rag.latency_ms"
FIRED: Final = "guarded_rag.fired"
ORIGIN: Final = "guarded_rag.origin"
QUESTION: Final = "guarded_rag.question"  # text
ANSWER: Final = "guarded_rag.answer"  # text
MESSAGE: Final = "guarded_rag.message"  # text
CLARIFYING_QUESTIONS: Final = "guarded_rag.clarifying_questions"  # text
STEP: Final = "guarded_rag.step"
SEQ: Final = "guarded_rag.seq"
OUTCOME: Final = "guarded_rag.outcome"
REASON: Final = "guarded_rag.reason"
ATTEMPT: Final = "guarded_rag.attempt"
EVIDENCE: Final = "guarded_rag.evidence"  # text
GUARDRAIL_NAME: Final = "guarded_rag.guardrail.name"
GUARDRAIL_STAGE: Final = "guarded_rag.guardrail.stage"
GUARDRAIL_FIRED: Final = "guarded_rag.guardrail.fired"
GUARDRAIL_ACTION: Final = "guarded_rag.guardrail.action"
GUARDRAIL_SCORE: Final = "guarded_rag.guardrail.score"
GUARDRAIL_THRESHOLD: Final = "guarded_rag.guardrail.threshold"
GUARDRAIL_FAIL_MODE: Final = "guarded_rag.guardrail.fail_mode"
GUARDRAIL_ERRORED: Final = "guarded_rag.guardrail.errored"
RETRIEVAL_K: Final = "guarded_rag.retrieval.k"
RETRIEVAL_TOP_SCORES: Final = "guarded_rag.retrieval.top_scores"
RETRIEVAL_CHUNK_IDS: Final = "guarded_rag.retrieval.chunk_ids"
PARSE_RUNG: Final = "guarded_rag.parse.rung"
FALLBACK_TO: Final = "guarded_rag.fallback.to"
PROBE: Final = "guarded_rag.doctor_probe"
