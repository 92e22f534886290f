"""guarded-rag's application layer and its public API: the composition root (settings, backend choice, models,
index, ingest, the service behind the CLI, the UI and the HTTP server, traces, the lab).

`views/`, `bench/` and the lab reach the app only through the names in `__all__` (a test pins them and
enforces it). The names load lazily, so `import app` stays cheap for the CLI; the parts live in:
documents/ (load, chunk, embed, index), models/ (backend choice, ChatOllama factory, rungs, chaos),
embedded/ (in-process Ollama on llama.cpp), lab/ (evaluation and experiments), cli/, serve/ (the HTTP service).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # the service and its configuration
    "GuardedRAG": "app.service",
    "ModelRef": "app.service",
    "RawAnswer": "app.service",
    "ServiceClosedError": "app.service",
    "Settings": "app.settings",
    "SettingsError": "app.settings",
    "load_settings": "app.settings",
    "unknown_variables": "app.settings",
    "with_config_file": "app.settings",
    "read_config_file": "app.settings",
    "env_name": "app.settings",
    # tuning the process (malloc arenas, BLAS threads, the settled heap), applied by the entry points
    "ArenaCap": "app.process",
    "HeapFigures": "app.process",
    "heap_figures": "app.process",
    "limit_malloc_arenas": "app.process",
    "limit_blas_threads": "app.process",
    "ProcessTuning": "app.process",
    "tune_process": "app.process",
    # the ask contract (CLI --json, HTTP, UI)
    "AskOptions": "app.contract",
    "AskResponse": "app.contract",
    "CitationOut": "app.contract",
    "GuardrailOut": "app.contract",
    "CONTRACT_FIELDS": "app.contract",
    "history_from": "app.contract",
    # chat transcripts in, plain-text replies out (the HTTP chat APIs)
    "ChatError": "app.conversation",
    "ChatMessage": "app.conversation",
    "ChatQuestion": "app.conversation",
    "Usage": "app.conversation",
    "answered_history": "app.conversation",
    "from_chat": "app.conversation",
    "generation_running": "app.embedded.pump",
    "reply_text": "app.conversation",
    "GUARD_HEADLINES": "app.headlines",
    "guard_headline": "app.headlines",
    "Fired": "app.headlines",
    "fired_event": "app.headlines",
    "fired_guardrails": "app.headlines",
    "stopping_guardrail": "app.headlines",
    "lang_of": "app.conversation",
    "usage_of": "app.conversation",
    # the HTTP service (`guarded-rag serve`)
    "ExposureError": "app.serve",
    "ServeOptions": "app.serve",
    "ServerThread": "app.serve",
    "create_app": "app.serve",
    "run_server": "app.serve",
    # traces
    "TraceRecord": "app.traces",
    "TraceFilter": "app.traces",
    "TraceStore": "app.traces",
    "TraceStoreError": "app.traces",
    "open_trace_backend": "app.traces",
    "TraceEvent": "chains",
    "Status": "chains",
    # the answer prompt as a LangChain template (AnswerPrompt.template_values fill it): bare-chain baselines
    "QA_PROMPT": "chains",
    # documents
    "DocumentInfo": "app.documents.index_types",
    "IndexStats": "app.documents.index_types",
    "EmbedderMismatchError": "app.documents.index_types",
    "IngestReport": "app.documents.ingest_types",
    "IngestProgress": "app.documents.ingest_types",
    "Chunk": "guardrails",
    "Turn": "guardrails",
    "Verdict": "guardrails",
    "GuardrailPolicy": "guardrails",
    # backend and models
    "BackendChoice": "app.models.backend",
    "OllamaProbe": "app.models.backend",
    "PreloadResult": "app.models.factory_types",
    "ChaosConfig": "app.models.chaos",
    "ALL_FAULTS": "app.models.chaos",
    # doctor
    "Check": "app.doctor_check",
    "DoctorReport": "app.doctor",
    "run_doctor": "app.doctor",
    # lab
    "EXPERIMENTS": "app.lab.experiments",
    "ExperimentReport": "app.lab.experiments",
    "LabResult": "app.lab.experiments",
    "run_experiment": "app.lab.experiments",
    # the policy lab: replay traces under another policy, labels, sweeps (app/lab/policy)
    "OUTCOME": "app.traces",
    "TraceInputs": "app.traces",
    "TraceLabel": "app.traces",
    "paused_gc": "app.traces",
    "bounded": "app.traces",  # trace inputs trimmed to their size cap (bench/bench_trace_inputs_cap.py)
    "stored_size": "app.traces.inputs",
    "GuardInputs": "chains",
    "GuardContext": "guardrails",
    "PolicyError": "guardrails",
    "REGISTRY": "guardrails",
    "load_policy": "guardrails",
    "FalseBlock": "app.lab.policy",
    "Flip": "app.lab.policy",
    "GuardrailQuality": "app.lab.policy",
    "LabelledCase": "app.lab.policy",
    "ReplayReport": "app.lab.policy",
    "StoredDecision": "app.lab.policy",
    "SweepReport": "app.lab.policy",
    "Target": "app.lab.policy",
    "TraceReplay": "app.lab.policy",
    "cases_from_traces": "app.lab.policy",
    "current_value": "app.lab.policy",
    "decisions_of": "app.lab.policy",
    "edited_policy": "app.lab.policy",
    "false_blocks": "app.lab.policy",
    "gold_labels": "app.lab.policy",
    "make_label": "app.lab.policy",
    "not_replayable": "app.lab.policy",
    "parse_range": "app.lab.policy",
    "parse_target": "app.lab.policy",
    "policy_toml": "app.lab.policy",
    "replaceable_policy": "app.lab.policy",
    "write_policy": "app.lab.policy",
    "quality": "app.lab.policy",
    "replay_traces": "app.lab.policy",
    "sweep": "app.lab.policy",
    "values_of": "app.lab.policy",
    # hardening: index health and typed index errors
    "IndexIntegrity": "app.documents.integrity",
    "IndexBusyError": "app.documents.writelock",
    "IndexUnavailableError": "app.documents.store",
    # helpers
    "percentile": "app.stats",
    "settle_heap": "app.process",
    # the input detectors' calibration (tune split only) and report
    "cross_validate_detector": "app.signals.calibration",
    "OutOfFold": "app.signals.calibration",
    "bury": "app.signals.calibration",
    "unrecorded_signals": "app.signals.grounding",
    "detector_report": "app.lab.evaluation.detectors",
    "PASSAGE_GROUPS": "app.lab.evaluation.passages",
    "judge_passages": "app.lab.evaluation.passages",
    "passage_cases": "app.lab.evaluation.passages",
    "passage_rows": "app.lab.evaluation.passages",
    "attack_texts": "app.lab.evaluation.datasets",
    "split_of": "app.stats",
    # parts, for the benchmarks that measure one part on its own
    "ChunkDraft": "app.documents.chunking",
    "chunk_id": "app.documents.chunking",
    "chunk_text": "app.documents.chunking",
    "DocumentIndex": "app.documents.index",
    "Usem3Embeddings": "app.documents.embeddings",
    "IdentifiedEmbeddings": "app.documents.embeddings",
    "expand_paths": "app.documents.ingest",
    "words": "app.documents.terms",
    "ingest_paths": "app.documents.ingest",
    "LoadedDocument": "app.documents.load_types",
    "LoadProblem": "app.documents.load_types",
    "load_document": "app.documents.loaders",
    "looks_binary": "app.documents.decoding",
    "LlamaEngine": "app.embedded",
    "EVAL_BATCH": "app.embedded.engine",
    "Pump": "app.embedded.pump",
    "locate_gguf": "app.embedded.gguf",
    "Delta": "app.embedded",
    "Finish": "app.embedded",
    # offline doubles (app/fakes.py): the tests, and the benches that measure the app's own overhead
    "BagOfWordsEmbeddings": "app.fakes",
    "ScriptedChatModel": "app.fakes",
    "ScriptedModelFactory": "app.fakes",
    "SAMPLE_DOCS": "app.fakes",
    "SUPPORTED_SUFFIXES": "app.documents.load_types",
    "BIDI_CONTROLS": "app.bidi",
    # text any writer can take: JSON on one line (CLI --json, exports, NDJSON), UTF-8 without lone surrogates
    "json_line": "app.jsonline",
    "line_safe": "app.jsonline",
    "utf8_safe": "app.utf8",
    "utf8_safe_tree": "app.utf8",
    "write_docs": "app.fakes",
}

# Literal, so type checkers see the re-exports; a test checks it names exactly the keys of _EXPORTS.
__all__ = [
    "ALL_FAULTS",
    "BIDI_CONTROLS",
    "CONTRACT_FIELDS",
    "EVAL_BATCH",
    "EXPERIMENTS",
    "GUARD_HEADLINES",
    "OUTCOME",
    "PASSAGE_GROUPS",
    "QA_PROMPT",
    "REGISTRY",
    "SAMPLE_DOCS",
    "SUPPORTED_SUFFIXES",
    "ArenaCap",
    "AskOptions",
    "AskResponse",
    "BackendChoice",
    "BagOfWordsEmbeddings",
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
    "EmbedderMismatchError",
    "ExperimentReport",
    "ExposureError",
    "FalseBlock",
    "Finish",
    "Fired",
    "Flip",
    "GuardContext",
    "GuardInputs",
    "GuardedRAG",
    "GuardrailOut",
    "GuardrailPolicy",
    "GuardrailQuality",
    "HeapFigures",
    "IdentifiedEmbeddings",
    "IndexBusyError",
    "IndexIntegrity",
    "IndexStats",
    "IndexUnavailableError",
    "IngestProgress",
    "IngestReport",
    "LabResult",
    "LabelledCase",
    "LlamaEngine",
    "LoadProblem",
    "LoadedDocument",
    "ModelRef",
    "OllamaProbe",
    "OutOfFold",
    "PolicyError",
    "PreloadResult",
    "ProcessTuning",
    "Pump",
    "RawAnswer",
    "ReplayReport",
    "ScriptedChatModel",
    "ScriptedModelFactory",
    "ServeOptions",
    "ServerThread",
    "ServiceClosedError",
    "Settings",
    "SettingsError",
    "Status",
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
    "answered_history",
    "attack_texts",
    "bounded",
    "bury",
    "cases_from_traces",
    "chunk_id",
    "chunk_text",
    "create_app",
    "cross_validate_detector",
    "current_value",
    "decisions_of",
    "detector_report",
    "edited_policy",
    "env_name",
    "expand_paths",
    "false_blocks",
    "fired_event",
    "fired_guardrails",
    "from_chat",
    "generation_running",
    "gold_labels",
    "guard_headline",
    "heap_figures",
    "history_from",
    "ingest_paths",
    "json_line",
    "judge_passages",
    "lang_of",
    "limit_blas_threads",
    "limit_malloc_arenas",
    "line_safe",
    "load_document",
    "load_policy",
    "load_settings",
    "locate_gguf",
    "looks_binary",
    "make_label",
    "not_replayable",
    "open_trace_backend",
    "parse_range",
    "parse_target",
    "passage_cases",
    "passage_rows",
    "paused_gc",
    "percentile",
    "policy_toml",
    "quality",
    "read_config_file",
    "replaceable_policy",
    "replay_traces",
    "reply_text",
    "run_doctor",
    "run_experiment",
    "run_server",
    "settle_heap",
    "split_of",
    "stopping_guardrail",
    "stored_size",
    "sweep",
    "tune_process",
    "unknown_variables",
    "unrecorded_signals",
    "usage_of",
    "utf8_safe",
    "utf8_safe_tree",
    "values_of",
    "with_config_file",
    "words",
    "write_docs",
    "write_policy",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the same names, eagerly, for type checkers and IDEs
    from app.bidi import BIDI_CONTROLS
    from app.contract import CONTRACT_FIELDS, AskOptions, AskResponse, CitationOut, GuardrailOut, history_from
    from app.conversation import (
        ChatError,
        ChatMessage,
        ChatQuestion,
        Usage,
        answered_history,
        from_chat,
        reply_text,
        usage_of,
    )
    from app.doctor import DoctorReport, run_doctor
    from app.doctor_check import Check
    from app.documents.chunking import ChunkDraft, chunk_id, chunk_text
    from app.documents.decoding import looks_binary
    from app.documents.embeddings import IdentifiedEmbeddings, Usem3Embeddings
    from app.documents.index import DocumentIndex
    from app.documents.index_types import DocumentInfo, EmbedderMismatchError, IndexStats
    from app.documents.ingest import expand_paths, ingest_paths
    from app.documents.ingest_types import IngestProgress, IngestReport
    from app.documents.integrity import IndexIntegrity
    from app.documents.load_types import SUPPORTED_SUFFIXES, LoadedDocument, LoadProblem
    from app.documents.loaders import load_document
    from app.documents.store import IndexUnavailableError
    from app.documents.terms import words
    from app.documents.writelock import IndexBusyError
    from app.embedded import Delta, Finish, LlamaEngine
    from app.embedded.engine import EVAL_BATCH
    from app.embedded.gguf import locate_gguf
    from app.embedded.pump import Pump, generation_running
    from app.fakes import SAMPLE_DOCS, BagOfWordsEmbeddings, ScriptedChatModel, ScriptedModelFactory, write_docs
    from app.headlines import GUARD_HEADLINES, Fired, fired_event, fired_guardrails, guard_headline, stopping_guardrail
    from app.jsonline import json_line, line_safe
    from app.lab.evaluation.datasets import attack_texts
    from app.lab.evaluation.detectors import detector_report
    from app.lab.evaluation.passages import PASSAGE_GROUPS, judge_passages, passage_cases, passage_rows
    from app.lab.experiments import EXPERIMENTS, ExperimentReport, LabResult, run_experiment
    from app.lab.policy import (
        FalseBlock,
        Flip,
        GuardrailQuality,
        LabelledCase,
        ReplayReport,
        StoredDecision,
        SweepReport,
        Target,
        TraceReplay,
        cases_from_traces,
        current_value,
        decisions_of,
        edited_policy,
        false_blocks,
        gold_labels,
        make_label,
        not_replayable,
        parse_range,
        parse_target,
        policy_toml,
        quality,
        replaceable_policy,
        replay_traces,
        sweep,
        values_of,
        write_policy,
    )
    from app.models.backend import BackendChoice, OllamaProbe
    from app.models.chaos import ALL_FAULTS, ChaosConfig
    from app.models.factory_types import PreloadResult
    from app.process import (
        ArenaCap,
        HeapFigures,
        ProcessTuning,
        heap_figures,
        limit_blas_threads,
        limit_malloc_arenas,
        settle_heap,
        tune_process,
    )
    from app.serve import ExposureError, ServeOptions, ServerThread, create_app, run_server
    from app.service import GuardedRAG, ModelRef, RawAnswer, ServiceClosedError
    from app.settings import (
        Settings,
        SettingsError,
        env_name,
        load_settings,
        read_config_file,
        unknown_variables,
        with_config_file,
    )
    from app.signals.calibration import OutOfFold, bury, cross_validate_detector
    from app.signals.grounding import unrecorded_signals
    from app.stats import percentile, split_of
    from app.traces import (
        OUTCOME,
        TraceFilter,
        TraceInputs,
        TraceLabel,
        TraceRecord,
        TraceStore,
        TraceStoreError,
        bounded,
        open_trace_backend,
        paused_gc,
    )
    from app.traces.inputs import stored_size
    from app.utf8 import utf8_safe, utf8_safe_tree
    from chains import QA_PROMPT, GuardInputs, TraceEvent
    from guardrails import Chunk, GuardContext, GuardrailPolicy, PolicyError, Turn, Verdict, load_policy
    from guardrails.text import lang_of
