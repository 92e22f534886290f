"""OpenAI content parts that are not parts (`5`, `null`, an object without a type) or of a type OpenAI does not
have are a 400 saying what is wrong with them; they were counted as "image or file part(s)" ([5, null] was refused
with "only 2 image or file part(s)") or dropped without a word beside a text part."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.serve.errors import Problem
from app.serve.parts import require_text
from app.serve.wire import OpenAIChatRequest, parse
from tests.app.serve.conftest import GOOD, Q

PNG = "iVBORw0KGgo="
IMAGE = {"type": "image_url", "image_url": {"url": PNG}}
TEXT = {"type": "text", "text": Q}

# content of the last message -> the words the 400 must hold
JUNK: list[tuple[list[Any], str]] = [
    ([5, None], 'messages.0.content: content part 0 is not an object with a "type": 5'),
    ([None], 'content part 0 is not an object with a "type": null'),
    ([TEXT, 5, None], 'content part 1 is not an object with a "type": 5'),  # was read as the text alone
    ([{"text": Q}], 'content part 0 is not an object with a "type": {"text":'),
    ([[TEXT]], 'content part 0 is not an object with a "type": [{"type": "text"'),
    ([{"type": "bogus"}], 'content part 0 has type "bogus", which is not supported: use text, image_url, input_audio'),
    ([TEXT, {"type": "image"}], 'content part 1 has type "image", which is not supported'),
    ([{"type": 5}], "content part 0 has type 5, which is not supported"),
    ([{"type": None}], 'content part 0 is not an object with a "type": {"type": null}'),
]


@pytest.mark.parametrize(("content", "words"), JUNK)
def test_a_part_that_is_not_one_is_a_400_naming_it(content: list[Any], words: str):
    body = {"model": "guarded-rag", "messages": [{"role": "user", "content": content}]}
    with pytest.raises(Problem) as err:
        parse(OpenAIChatRequest, body)
    assert err.value.status == 400 and words in err.value.message, err.value.message
    assert "image or file" not in err.value.message


def test_junk_in_an_earlier_message_is_named_by_its_message():
    messages = [{"role": "user", "content": [{"type": "bogus"}]}, {"role": "user", "content": Q}]
    with pytest.raises(Problem) as err:
        parse(OpenAIChatRequest, {"messages": messages})
    assert 'messages.0.content: content part 0 has type "bogus"' in err.value.message


# content -> None when it is a question with text, else the words of its 400
FINE: list[tuple[Any, str | None]] = [
    (Q, None),
    ([TEXT, IMAGE], None),
    (["a bare string is text"], None),
    ([{"type": "text", "text": None}, TEXT], None),
    ([IMAGE], "the question has no text, only 1 image part(s)"),
    ([IMAGE, {"type": "file", "file": {"file_id": "f"}}], "only 2 file or image part(s)"),
    ([{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}], "only 1 audio part(s)"),
    ([{"type": "refusal", "refusal": "no"}], "only 1 refusal part(s)"),
]


@pytest.mark.parametrize(("content", "words"), FINE)
def test_well_formed_parts_are_read_as_before(content: Any, words: str | None):
    req = parse(OpenAIChatRequest, {"messages": [{"role": "user", "content": content}]})
    if words is None:
        require_text(req.messages[-1].content)
        return
    with pytest.raises(Problem) as err:
        require_text(req.messages[-1].content)
    assert err.value.status == 400 and words in err.value.message, err.value.message


def test_the_served_400_says_what_is_wrong_before_any_model_call(serve):
    run = serve([GOOD])
    for content, words in JUNK[:1] + JUNK[5:6]:
        body = {"model": "guarded-rag", "messages": [{"role": "user", "content": content}]}
        r = httpx.post(run.url + "/v1/chat/completions", json=body)
        assert r.status_code == 400 and words in r.json()["error"]["message"], r.text
    assert run.svc.traces.count() == 0 and run.model.calls == []
