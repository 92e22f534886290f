"""The ChatOllama every backend is built as (app.models.factory): LangChain's, with the messages it sends made
encodable as UTF-8 first.

App layer (models). A question that was not UTF-8 (a command-line argument decoded with surrogateescape, a JSON
"\\udcff" escape) holds lone surrogates; the ollama client writes its request as UTF-8 JSON, so the request failed
with UnicodeEncodeError before reaching any server, which no retry or fallback catches (a ValueError: a bug, not
the server failing) and the question ended as an internal error. The guardrails have seen the text as it came.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage
from langchain_ollama import ChatOllama

from app.utf8 import utf8_safe_tree


class Utf8ChatOllama(ChatOllama):
    """ChatOllama whose request messages hold no lone surrogates (each is U+FFFD, as app.utf8 replaces them)."""

    # _chat_params builds the request of both the sync and the async path (langchain-ollama 1.x); overriding it
    # is tested through a real request (tests/hunt/test_lone_surrogates.py), so a renamed hook fails there.
    def _chat_params(self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        params = super()._chat_params(messages, stop, **kwargs)
        params["messages"] = utf8_safe_tree(params["messages"])
        return params
