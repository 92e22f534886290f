"""The public API of each package, pinned: adding a name is a deliberate change to this file, removing or
renaming one breaks callers (the CLI --json contract is pinned here too)."""

from __future__ import annotations

import app
import chains
import guardrails

APP = (
    "ALL_FAULTS",
    "AskOptions",
    "AskResponse",
    "BackendChoice",
    "BagOfWordsEmbeddings",
    "CONTRACT_FIELDS",
    "ChaosConfig",
    "ChatError",
    "ChatMessage",
    "ChatQuestion",
    "Check",
    "Chunk",
    "ChunkDraft",
    "CitationOut",
    "Delta",
    "DoctorReport",
    "DocumentIndex",
    "DocumentInfo",
    "EXPERIMENTS",
    "EmbedderMismatchError",
    "ExperimentReport",
    "ExposureError",
    "FalseBlock",
    "Finish",
    "Flip",
    "GuardContext",
    "GuardInputs",
    "GuardedRAG",
    "GuardrailOut",
    "GuardrailPolicy",
    "GuardrailQuality",
    "IdentifiedEmbeddings",
    "IndexStats",
    "IngestProgress",
    "IngestReport",
    "LabResult",
    "LabelledCase",
    "LlamaEngine",
    "LoadedDocument",
    "ModelRef",
    "OUTCOME",
    "OllamaProbe",
    "PolicyError",
    "PreloadResult",
    "RawAnswer",
    "ReplayReport",
    "SAMPLE_DOCS",
    "ScriptedChatModel",
    "ScriptedModelFactory",
    "ServeOptions",
    "ServerThread",
    "Settings",
    "SettingsError",
    "StoredDecision",
    "SweepReport",
    "Target",
    "TraceEvent",
    "TraceFilter",
    "TraceInputs",
    "TraceLabel",
    "TraceRecord",
    "TraceReplay",
    "TraceStore",
    "TraceStoreError",
    "Turn",
    "Usage",
    "Usem3Embeddings",
    "Verdict",
    "cases_from_traces",
    "chunk_id",
    "chunk_text",
    "create_app",
    "current_value",
    "decisions_of",
    "edited_policy",
    "env_name",
    "expand_paths",
    "false_blocks",
    "from_chat",
    "gold_labels",
    "history_from",
    "ingest_paths",
    "load_document",
    "load_policy",
    "load_settings",
    "make_label",
    "not_replayable",
    "open_trace_backend",
    "parse_range",
    "parse_target",
    "paused_gc",
    "percentile",
    "policy_toml",
    "quality",
    "read_config_file",
    "replay_traces",
    "reply_text",
    "run_doctor",
    "run_experiment",
    "run_server",
    "sweep",
    "usage_of",
    "values_of",
    "write_docs",
)
CHAINS = (
    "AnswerPrompt",
    "Budget",
    "BudgetExceeded",
    "CircuitBreaker",
    "CircuitOpen",
    "Citation",
    "Clarification",
    "Generated",
    "GenerationLadder",
    "GuardInputs",
    "LadderPolicy",
    "ModelAnswer",
    "ModelRung",
    "OutputParseError",
    "OutputRejected",
    "Parsed",
    "QAConfig",
    "QAPipeline",
    "QARequest",
    "QAResult",
    "ReasksExhausted",
    "Retriever",
    "SignalProvider",
    "Status",
    "TraceCollector",
    "TraceEvent",
    "UngroundedAnswer",
    "WarmupFailed",
    "answer_chars_for",
    "answer_json_schema",
    "answer_prompt",
    "parse_answer",
    "rejection_feedback",
    "run_qa",
    "with_signals",
)
GUARDRAILS = (
    "Chunk",
    "GuardContext",
    "Guardrail",
    "GuardrailPolicy",
    "PolicyError",
    "REGISTRY",
    "Signal",
    "Stage",
    "Turn",
    "Verdict",
    "blocking_verdict",
    "build_guardrails",
    "load_policy",
    "load_policy_dict",
    "run_guardrail",
)
CONTRACT_FIELDS = ("status", "answer", "citations", "guardrails", "llm_calls", "backend", "model", "trace_id", "latency_ms")


def test_app_public_api_is_pinned_and_every_name_resolves():
    assert tuple(sorted(app.__all__)) == APP
    assert set(app.__all__) == set(app._EXPORTS)  # the lazy table and the declared list agree
    for name in app.__all__:
        assert getattr(app, name) is not None


def test_chains_public_api_is_pinned():
    assert tuple(sorted(chains.__all__)) == CHAINS
    assert all(hasattr(chains, n) for n in chains.__all__)


def test_guardrails_public_api_is_pinned():
    assert tuple(sorted(guardrails.__all__)) == GUARDRAILS
    assert all(hasattr(guardrails, n) for n in guardrails.__all__)


def test_ask_contract_fields_are_pinned():
    assert app.CONTRACT_FIELDS == CONTRACT_FIELDS
    assert set(CONTRACT_FIELDS) <= set(app.AskResponse.model_fields)
