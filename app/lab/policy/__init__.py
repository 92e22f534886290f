"""The policy lab: replay stored traces under another policy (replay), label decisions and score guardrails on
the labels (labels), sweep a parameter over labelled decisions and suggest a value (sweep), read and write
policies (files). Clients of the app like the rest of app/lab; pure, no model and no embedder is called.
"""

from __future__ import annotations

from app.lab.policy.decisions import Decision, Rechecker
from app.lab.policy.files import edited_policy, policy_toml, replaceable_policy, values_of, write_policy
from app.lab.policy.labels import (
    FalseBlock,
    GuardrailQuality,
    StoredDecision,
    decisions_of,
    false_blocks,
    gold_labels,
    make_label,
    quality,
)
from app.lab.policy.replay import Flip, ReplayReport, TraceReplay, not_replayable, replay_trace, replay_traces
from app.lab.policy.sweeps import (
    LabelledCase,
    SweepReport,
    Target,
    cases_from_traces,
    current_value,
    numeric_kind,
    parse_range,
    parse_target,
    sweep,
)

__all__ = [
    "Decision",
    "FalseBlock",
    "Flip",
    "GuardrailQuality",
    "LabelledCase",
    "Rechecker",
    "ReplayReport",
    "StoredDecision",
    "SweepReport",
    "Target",
    "TraceReplay",
    "cases_from_traces",
    "current_value",
    "decisions_of",
    "edited_policy",
    "false_blocks",
    "gold_labels",
    "make_label",
    "not_replayable",
    "numeric_kind",
    "parse_range",
    "parse_target",
    "policy_toml",
    "quality",
    "replaceable_policy",
    "replay_trace",
    "replay_traces",
    "sweep",
    "values_of",
    "write_policy",
]
