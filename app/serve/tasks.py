"""Front-end housekeeping calls answered without a model. Open WebUI sends, around each turn, non-streamed
chat calls whose prompt starts with `### Task:` (a title, tags, follow-up suggestions, search queries) and
asks for a small JSON object. Running them through the guarded chain would queue them ahead of the user's
next question and spend model calls on text nobody reads as an answer, so they get a deterministic reply in
the JSON shape the prompt asks for: a title cut from the first question, empty lists, empty strings.

Nothing here comes from a model or from the documents; the title is the user's own words. Only the task
kinds below count: Open WebUI's RAG template (files attached, web search) also starts with `### Task:` but
asks for an answer, so it goes to the guarded chain like any question.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from app import ChatQuestion

TASK_PREFIX = "### Task:"
_OUTPUT_KEY = re.compile(r'\{\s*"(?P<key>[A-Za-z_]+)"\s*:\s*(?P<open>[\["])')
_FIRST_USER = re.compile(r"^\s*USER:\s*(?P<text>.+)$", re.MULTILINE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# The JSON keys Open WebUI's task templates ask for: title, tags, follow-ups, search queries, an image prompt,
# an autocompletion.
TASK_KEYS = frozenset({"title", "tags", "follow_ups", "queries", "prompt", "text"})
TITLE_WORDS = 6
TITLE_CJK_CHARS = 16


@dataclass(frozen=True)
class TaskReply:
    task: str  # the JSON key the front end asked for: title, tags, follow_ups, queries, ...
    text: str


def task_reply(chat: ChatQuestion) -> TaskReply | None:
    """The reply to a `### Task:` prompt, or None when the message is a question for the guarded chain."""
    prompt = chat.question.lstrip()
    if not prompt.startswith(TASK_PREFIX):
        return None
    output = prompt[prompt.find("### Output") :] if "### Output" in prompt else prompt
    match = _OUTPUT_KEY.search(output)
    if match is None or match.group("key") not in TASK_KEYS:
        return None
    key = match.group("key")
    if key == "title":
        value: object = title_of(prompt)
    elif match.group("open") == "[":
        value = []
    else:
        value = ""
    return TaskReply(task=key, text=json.dumps({key: value}, ensure_ascii=False))


def title_of(prompt: str) -> str:
    """The first user line of the chat history the prompt quotes, cut to a few words."""
    history = prompt.split("<chat_history>", 1)[-1]
    first = _FIRST_USER.search(history)
    text = " ".join((first.group("text") if first else "").split()).strip(" ?？!！.。")
    if not text:
        return "New chat"
    if _CJK.search(text) and " " not in text:
        return text[:TITLE_CJK_CHARS]
    return " ".join(text.split(" ")[:TITLE_WORDS])
