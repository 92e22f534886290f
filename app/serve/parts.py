"""OpenAI message content as a list of parts: which parts are well formed, the text of a message, and the 400 for a
question with no text in it.

OpenAI's chat completions read a part as an object with a `type`: `text`, `image_url`, `input_audio` or `file` (user
messages) and `refusal` (assistant messages). Anything else (`5`, `null`, `{"type": "bogus"}`) is a 400 saying what
is wrong with it: counted among the "image or file part(s)", it was refused as a question with "only 2 image or
file part(s)", or dropped without a word beside a text part. A bare string is still read as text, as before.
"""

from __future__ import annotations

import json
from typing import Any

from app.serve.errors import Problem

# The part types OpenAI's chat completions accept, and what each is called when it is all a question has.
PART_TYPES = {"text": "text", "image_url": "image", "input_audio": "audio", "file": "file", "refusal": "refusal"}


def check_parts(content: str | list[Any] | None) -> str | list[Any] | None:
    """`content` unchanged when each of its parts is a string or an object with a supported `type`; else ValueError
    naming the first part that is not (counted from 0, as the request's `messages.N`)."""
    for index, part in enumerate(content if isinstance(content, list) else []):
        if isinstance(part, str):
            continue
        kind = part.get("type") if isinstance(part, dict) else None
        if kind is None:
            raise ValueError(f'content part {index} is not an object with a "type": {_shown(part)}')
        if not isinstance(kind, str) or kind not in PART_TYPES:
            raise ValueError(f"content part {index} has type {_shown(kind)}, which is not supported: use {', '.join(PART_TYPES)}")
    return content


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:100]


def text_of(content: str | list[Any] | None) -> str:
    """OpenAI content may be a list of parts: the text parts count, images and files are not read."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts = [p if isinstance(p, str) else p.get("text") for p in content if _is_text_part(p)]  # a bare string is text
    return "\n".join(str(p) for p in parts if p is not None)  # a part with "text": null says nothing, not "None"


def _is_text_part(part: Any) -> bool:
    return isinstance(part, str) or (isinstance(part, dict) and part.get("type") == "text")


def require_text(content: str | list[Any] | None, images: list[str] | None = None) -> None:
    """The question (the last message) must have text when it carries parts this server does not read: an
    image-only message would otherwise reach the chain as an empty question and come back as "Refused by the
    input_size guardrail: empty question", which does not tell its sender what happened."""
    unread = ["image"] * len(images or [])
    if isinstance(content, list):
        unread += [PART_TYPES.get(str(p.get("type")), "unknown") for p in content if isinstance(p, dict) and not _is_text_part(p)]
    if unread and not text_of(content).strip():
        kinds = " or ".join(sorted(set(unread)))
        raise Problem(
            400,
            f"the question has no text, only {len(unread)} {kinds} part(s): guarded-rag reads text only "
            "(it answers from your indexed documents); ask the question in words",
            code="no_text",
        )
