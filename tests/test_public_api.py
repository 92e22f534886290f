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
    "Finish",
    "GuardedRAG",
    "GuardrailOut",
    "GuardrailPolicy",
    "IdentifiedEmbeddings",
    "IndexBusyError",
    "IndexIntegrity",
    "IndexStats",
    "IndexUnavailableError",
    "IngestProgress",
    "IngestReport",
    "LabResult",
    "LlamaEngine",
    "LoadProblem",
    "LoadedDocument",
    "ModelRef",
    "OllamaProbe",
    "PreloadResult",
    "RawAnswer",
    "SAMPLE_DOCS",
    "ScriptedChatModel",
    "ScriptedModelFactory",
    "ServeOptions",
    "ServerThread",
    "Settings",
    "SettingsError",
    "TraceEvent",
    "TraceFilter",
    "TraceRecord",
    "TraceStore",
    "TraceStoreError",
    "Turn",
    "Usage",
    "Usem3Embeddings",
    "Verdict",
    "chunk_id",
    "chunk_text",
    "create_app",
    "cross_validate_detector",
    "detector_report",
    "env_name",
    "expand_paths",
    "from_chat",
    "history_from",
    "ingest_paths",
    "load_document",
    "load_settings",
    "open_trace_backend",
    "percentile",
    "read_config_file",
    "reply_text",
    "run_doctor",
    "run_experiment",
    "run_server",
    "split_of",
    "usage_of",
    "words",
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
    "LadderPolicy",
    "ModelAnswer",
    "ModelRung",
    "OutputCheck",
    "OutputParseError",
    "OutputRejected",
    "Parsed",
    "QAConfig",
    "QAPipeline",
    "QARequest",
    "QAResult",
    "ReasksExhausted",
    "Retriever",
    "Screened",
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
    "run_qa",
    "screen_qa",
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
