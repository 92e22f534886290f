"""LangChain Runnables of guarded-rag: prompts, schemas, parse ladder, generation ladder, the QA chain.

Gets built objects injected (chat models, a retrieve function, guardrails); never reads env or Settings.
"""

from chains.circuit import Budget, CircuitBreaker
from chains.error_text import clean_error_text, short_error
from chains.errors import (
    BudgetExceeded,
    CircuitOpen,
    OutputParseError,
    OutputRejected,
    ReasksExhausted,
    UngroundedAnswer,
    WarmupFailed,
    rejection_feedback,
)
from chains.generation import Generated, GenerationLadder, LadderPolicy
from chains.judge import ClarityJudgement, judge_clarity, judge_messages, judge_schema, parse_judgement
from chains.parsing import Parsed, parse_answer
from chains.prompts import QA_PROMPT
from chains.qa import QAConfig, QAPipeline, Retriever, Screened, run_qa, screen_qa
from chains.recipe import AnswerPrompt, answer_prompt
from chains.rung import ModelRung
from chains.schemas import (
    Citation,
    Clarification,
    ModelAnswer,
    OutputCheck,
    QARequest,
    QAResult,
    Status,
    answer_chars_for,
    answer_json_schema,
)
from chains.signals import SignalProvider, with_signals
from chains.trace import GuardInputs, TraceCollector, TraceEvent

__all__ = [
    "QA_PROMPT",
    "AnswerPrompt",
    "Budget",
    "BudgetExceeded",
    "CircuitBreaker",
    "CircuitOpen",
    "Citation",
    "Clarification",
    "ClarityJudgement",
    "Generated",
    "GenerationLadder",
    "GuardInputs",
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
    "clean_error_text",
    "judge_clarity",
    "judge_messages",
    "judge_schema",
    "parse_answer",
    "parse_judgement",
    "rejection_feedback",
    "run_qa",
    "screen_qa",
    "short_error",
    "with_signals",
]
