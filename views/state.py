"""View layer: per-user state in st.session_state (service injection, session id, language, options, chat).

The service is process-wide (st.cache_resource); everything a user changes lives in their session only.
"""

from __future__ import annotations

import uuid
from typing import Any

import streamlit as st

from app import AskOptions, GuardedRAG, load_settings, settle_heap, tune_process

SERVICE_KEY = "service"  # tests put a fake-backed GuardedRAG here before at.run()


@st.cache_resource(show_spinner=False)
def _shared_service() -> GuardedRAG:
    # Built once per process, its parts too, before the first page asks: the first sessions of a fresh
    # server must not build the index client concurrently (chromadb fails when they do).
    settings = load_settings()
    # Before the service's threads: caps glibc's malloc arenas unless MALLOC_ARENA_MAX was set at start (`make run`
    # sets it; Streamlit's own threads exist by now, so the environment is the surer way: docs/DEPLOY.md).
    tune_process(settings)  # malloc arenas, then BLAS threads (app/process/)
    svc = GuardedRAG(settings)
    svc.warm_up()
    settle_heap()  # a server process: no 100+ ms full collections of the start-up heap mid-question (app/process/heap.py)
    return svc


def service() -> GuardedRAG:
    injected = st.session_state.get(SERVICE_KEY)
    return injected if injected is not None else _shared_service()


def session_id() -> str:
    if "session_id" not in st.session_state:
        st.session_state["session_id"] = uuid.uuid4().hex
    return str(st.session_state["session_id"])


def options() -> AskOptions:
    """This session's AskOptions (settings/guardrail/chaos overrides), always tagged with its session id."""
    current: AskOptions = st.session_state.get("ask_options") or AskOptions()
    return current.model_copy(update={"session": session_id()})


def set_options(value: AskOptions) -> None:
    st.session_state["ask_options"] = value


def messages() -> list[dict[str, Any]]:
    """Chat turns: {"role": "user"|"assistant", "content": str, "response": AskResponse | None}."""
    found: list[dict[str, Any]] = st.session_state.setdefault("messages", [])
    return found


def lang() -> str:
    return str(st.session_state.get("lang", "en"))
