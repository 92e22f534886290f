"""What Open WebUI sends (measured with 0.12.4 against a logging Ollama double): the whole history, `tools`
on every chat, stream: true; around each turn non-streamed `### Task:` calls for a title, tags and follow-ups.
Tools are accepted and answered with plain content; task calls are answered without a model or a trace.

tests/app/serve/openwebui/ holds requests the real Open WebUI 0.12.4 sent to `guarded-rag serve` with its
default settings (captured by bench/check_openwebui.py --capture); the tests replay them byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import ollama
import openai
import pytest

from tests.app.serve.conftest import GOOD, Q

CAPTURED = Path(__file__).parent / "openwebui"
GOOD_ZH = json.dumps({"citations": ["S1"], "answer": "Ollama 默认监听 11434 端口。"}, ensure_ascii=False)


def captured(name: str) -> dict[str, Any]:
    """A request body Open WebUI 0.12.4 sent; `chat` went unchanged to /api/chat and /v1/chat/completions."""
    body: dict[str, Any] = json.loads((CAPTURED / f"{name}.json").read_text(encoding="utf-8"))
    return body


def shown_by_open_webui(ndjson: str) -> str:
    """What Open WebUI 0.12.4 shows of a streamed Ollama reply: it turns each line into an OpenAI chunk from
    `message.content` alone (utils/response.py, convert_streaming_response_ollama_to_openai); other keys,
    `error` included, are dropped."""
    return "".join((json.loads(line).get("message") or {}).get("content") or "" for line in ndjson.splitlines())


TOOLS = [
    {
        "type": "function",
        "function": {"name": f"tool_{i}", "description": "d", "parameters": {"type": "object", "properties": {}}},
    }
    for i in range(36)
]
TITLE = """### Task:
Generate a concise, 3-5 word title with an emoji summarizing the chat history.
### Guidelines:
- Write the title in the chat's primary language; default to English if multilingual.
### Output:
JSON format: { "title": "your concise title here" }
### Examples:
- { "title": "📉 Stock Market Trends" },
### Chat History:
<chat_history>
USER: Which port does Ollama listen on by default?
ASSISTANT: Ollama listens on port 11434 by default.
</chat_history>"""
TAGS = """### Task:
Generate 1-3 broad tags categorizing the main themes of the chat history.
### Output:
JSON format: { "tags": ["tag1", "tag2", "tag3"] }
### Chat History:
<chat_history>
USER: Which port does Ollama listen on by default?
</chat_history>"""
FOLLOW_UPS = """### Task:
Suggest 3-5 relevant follow-up questions.
### Output:
JSON format: { "follow_ups": ["Question 1?", "Question 2?", "Question 3?"] }
### Chat History:
<chat_history>
USER: Ollama 默认监听哪个端口
</chat_history>"""


def test_a_chat_turn_with_tools_history_and_streaming(serve):
    run = serve([GOOD])
    body = {
        "model": "guarded-rag:latest",
        "messages": [
            {"role": "user", "content": "I run Ollama on Linux."},
            {"role": "assistant", "content": "Noted."},
            {"role": "user", "content": Q},
        ],
        "tools": TOOLS,
        "stream": True,
    }
    r = httpx.post(run.url + "/api/chat", json=body, timeout=30)
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    assert all("tool_calls" not in line.get("message", {}) for line in lines)
    assert "11434" in "".join(line["message"]["content"] for line in lines)
    assert lines[-1]["done"] and lines[-1]["trace_id"] == r.headers["x-trace-id"]


def test_task_calls_are_answered_without_a_model_or_a_trace(serve):
    run = serve([])  # an empty script: any model call would fail the test
    replies = {}
    for name, prompt in (("title", TITLE), ("tags", TAGS), ("follow_ups", FOLLOW_UPS)):
        r = httpx.post(
            run.url + "/api/chat",
            json={"model": "guarded-rag:latest", "messages": [{"role": "user", "content": prompt}], "stream": False},
        )
        assert r.status_code == 200 and "x-trace-id" not in r.headers
        replies[name] = json.loads(r.json()["message"]["content"])
    assert replies == {
        "title": {"title": "Which port does Ollama listen on"},
        "tags": {"tags": []},
        "follow_ups": {"follow_ups": []},
    }
    oa = openai.OpenAI(base_url=run.url + "/v1", api_key="x", max_retries=0)
    title = oa.chat.completions.create(
        model="guarded-rag", max_tokens=1000, messages=[{"role": "user", "content": TITLE.replace("Which port", "Ollama 默认")}]
    )
    assert json.loads(title.choices[0].message.content)["title"].startswith("Ollama 默认")
    assert run.model.calls == [] and run.svc.traces.count() == 0
    assert run.metric("guarded_rag_task_calls_total", task="title") == 2


def test_a_streamed_task_call_and_a_cjk_title(serve):
    run = serve([])
    prompt = TITLE.replace(
        "USER: Which port does Ollama listen on by default?", "USER: 请问Ollama默认监听哪个端口？这个端口可以修改吗"
    )
    r = httpx.post(run.url + "/api/chat", json={"model": "guarded-rag", "messages": [{"role": "user", "content": prompt}]})
    lines = [json.loads(line) for line in r.text.splitlines()]
    title = json.loads("".join(line["message"]["content"] for line in lines))["title"]
    assert title == "请问Ollama默认监听哪个端口？这个端"[:16] and lines[-1]["done"]


def test_ps_and_show_are_cheap_and_known(serve):
    run = serve()
    assert httpx.get(run.url + "/api/ps").json() == {"models": []}
    show = httpx.post(run.url + "/api/show", json={"model": "guarded-rag"})
    assert show.status_code == 200 and show.json()["capabilities"] == ["completion"]
    assert httpx.post(run.url + "/api/show", json={"model": "other"}).status_code == 404


def test_open_webuis_rag_template_is_a_question_not_a_task(serve):
    """Open WebUI wraps the question in its RAG template (also `### Task:`) when files are attached: that asks
    for an answer, so it runs through the guarded chain (here: too long, refused by input_size, with a trace)."""
    run = serve([])
    rag = "### Task:\nRespond to the user query using the provided context.\n### Guidelines:\n- Be precise.\n" + (
        "<context>" + "Ollama listens on port 11434. " * 100 + "</context>\n<user_query>Which port?</user_query>"
    )
    r = httpx.post(
        run.url + "/api/chat", json={"model": "guarded-rag", "messages": [{"role": "user", "content": rag}], "stream": False}
    )
    assert r.status_code == 200 and r.json()["message"]["content"].startswith("Refused by the input_size guardrail")
    assert run.svc.traces.count() == 1 and run.metric("guarded_rag_task_calls_total", task="unknown") == 0


def test_openai_connection_streams_with_tools(serve):
    run = serve([GOOD])
    oa = openai.OpenAI(base_url=run.url + "/v1", api_key="x", max_retries=0)
    chunks = list(
        oa.chat.completions.create(
            model="guarded-rag:latest",
            messages=[{"role": "system", "content": "You are helpful."}, {"role": "user", "content": Q}],
            tools=TOOLS,  # type: ignore[arg-type]
            stream=True,
        )
    )
    assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert "11434" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_open_webuis_captured_turn_is_answered_over_both_connections(serve):
    run = serve([GOOD_ZH, GOOD_ZH])
    for path in ("/api/chat", "/v1/chat/completions"):
        r = httpx.post(run.url + path, json=captured("chat"), timeout=30)
        assert r.status_code == 200 and "11434" in r.text and "Sources:" in r.text, r.text
    ollama_title = httpx.post(run.url + "/api/chat", json=captured("title-ollama")).json()["message"]["content"]
    openai_title = httpx.post(run.url + "/v1/chat/completions", json=captured("title-openai")).json()
    assert json.loads(ollama_title) == {"title": "Ollama 默认监听哪个端口"}
    assert json.loads(openai_title["choices"][0]["message"]["content"]) == {"title": "Ollama 默认监听哪个端口"}
    for name, key in (("follow_ups", "follow_ups"), ("tags", "tags")):
        reply = httpx.post(run.url + "/api/chat", json=captured(name)).json()["message"]["content"]
        assert json.loads(reply) == {key: []}
    assert run.svc.traces.count() == 2 and len(run.model.calls) == 2  # the task calls cost no model call


def test_a_failed_answer_is_shown_in_open_webui_over_the_ollama_connection(serve):
    """Open WebUI drops Ollama's bare mid-stream `{"error": ...}` line: with an empty index its chat showed an
    empty reply, no error. The error line now also carries the message as labelled text."""
    run = serve(ingest=False)  # an empty index: the service answers status "error" with the fix
    r = httpx.post(run.url + "/api/chat", json=captured("chat"), timeout=30)
    shown = shown_by_open_webui(r.text)
    assert shown.startswith("[error] The index is empty") and "guarded-rag ingest" in shown, shown
    last = json.loads(r.text.splitlines()[-1])
    assert last["done"] and "guarded-rag ingest" in last["error"] and last["trace_id"] == r.headers["x-trace-id"]
    with pytest.raises(ollama.ResponseError, match="guarded-rag ingest"):  # Ollama's own clients still raise
        list(ollama.Client(host=run.url).chat(model="guarded-rag", messages=[{"role": "user", "content": Q}], stream=True))
    assert run.svc.traces.count() == 2
