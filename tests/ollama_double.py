"""A scripted Ollama for tests: real ChatOllama / ollama.Client / httpx on top, deterministic replies below.

`ScriptedOllama` is an in-process httpx transport (sync and async); `LoopbackOllama` serves the same
scripts over real sockets with pytest-httpserver. Both record what they were sent and fail loudly when
the script is used up: AssertionError is deliberately not a transport error, so no retry swallows it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from app.embedded.events import ChatEvent, Delta, Finish, LoadReport
from app.embedded.gguf import ModelCard, ModelDetails

ReplyKind = Literal[
    "content", "status", "body", "midstream_error", "truncated", "refused", "timeout", "slow", "stall", "empty", "trickle"
]
NDJSON = "application/x-ndjson"


@dataclass(frozen=True)
class Reply:
    """One scripted answer to POST /api/chat."""

    kind: ReplyKind
    content: str = ""
    code: int = 200
    message: str = ""
    seconds: float = 0.0
    then: Reply | None = None
    done_reason: str = "stop"
    thinking: str = ""  # streamed in message.thinking before the content (a thinking model, think on)
    eval_count: int = 7
    prompt_eval_count: int = 12

    @classmethod
    def json_answer(cls, obj: Mapping[str, Any]) -> Reply:
        return cls("content", content=json.dumps(obj, ensure_ascii=False))

    @classmethod
    def text(
        cls,
        content: str,
        *,
        done_reason: str = "stop",
        thinking: str = "",
        eval_count: int = 7,
        prompt_eval_count: int = 12,
    ) -> Reply:
        """A reply; `thinking` comes in message.thinking first (Ollama's split), the counts in the final line."""
        return cls(
            "content",
            content=content,
            done_reason=done_reason,
            thinking=thinking,
            eval_count=eval_count,
            prompt_eval_count=prompt_eval_count,
        )

    @classmethod
    def status(cls, code: int, message: str) -> Reply:
        return cls("status", code=code, message=message)

    @classmethod
    def body(cls, code: int, text: str, *, content_type: str = "text/html") -> Reply:
        """An error status with a body that is not Ollama's {"error": ...}: e.g. a proxy's HTML page."""
        return cls("body", code=code, content=text, message=content_type)

    @classmethod
    def midstream_error(cls, message: str, *, partial: str = '{"answer": "') -> Reply:
        return cls("midstream_error", content=partial, message=message)

    @classmethod
    def truncated_ndjson(cls, *, partial: str = '{"answer": "') -> Reply:
        return cls("truncated", content=partial)

    @classmethod
    def connection_refused(cls) -> Reply:
        return cls("refused")

    @classmethod
    def timeout(cls) -> Reply:
        return cls("timeout")

    @classmethod
    def slow(cls, seconds: float, then: Reply) -> Reply:
        return cls("slow", seconds=seconds, then=then)

    @classmethod
    def stall(cls, seconds: float, *, partial: str = '{"answer": "', rest: str = 'late"}') -> Reply:
        """Streams `partial`, goes silent for `seconds`, then sends `rest` and the done line."""
        return cls("stall", content=partial, message=rest, seconds=seconds)

    @classmethod
    def trickle(cls, content: str, *, every_s: float) -> Reply:
        """Streams `content` one NDJSON line at a time with `every_s` between lines: each read is quick, the whole
        reply is not (what the per-read timeout alone would never stop)."""
        return cls("trickle", content=content, seconds=every_s)

    @classmethod
    def empty_stream(cls) -> Reply:
        """HTTP 200 with no lines: what makes ChatOllama raise its bare ValueError (not a transport error)."""
        return cls("empty")

    def render(self, model: str, stream: bool) -> tuple[int, str, bytes]:
        """(status, content type, body) for the kinds that are answers rather than socket events."""
        if self.kind == "status":
            return self.code, "application/json", json.dumps({"error": self.message}).encode()
        if self.kind == "body":
            return self.code, self.message, self.content.encode()
        if self.kind == "empty":
            return 200, NDJSON, b""
        head = {"model": model, "created_at": "2024-01-01T00:00:00Z"}
        final = {
            **head,
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": self.done_reason,
            "total_duration": 1000,
            "load_duration": 10,
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": 100,
            "eval_count": self.eval_count,
            "eval_duration": 500,
        }
        if self.kind == "content" and not stream:
            message = {"role": "assistant", "content": self.content} | ({"thinking": self.thinking} if self.thinking else {})
            return 200, "application/json", _line({**final, "message": message})
        thoughts = [self.thinking[i : i + 8] for i in range(0, len(self.thinking), 8)]
        pieces = [self.content[i : i + 8] for i in range(0, len(self.content), 8)] or [""]
        lines = b"".join(
            _line({**head, "message": {"role": "assistant", "content": "", "thinking": t}, "done": False}) for t in thoughts
        )
        lines += b"".join(_line({**head, "message": {"role": "assistant", "content": p}, "done": False}) for p in pieces)
        if self.kind in ("content", "trickle"):
            return 200, NDJSON, lines + _line(final)
        if self.kind == "midstream_error":
            return 200, NDJSON, lines + _line({"error": self.message})
        if self.kind == "truncated":
            return 200, NDJSON, lines + b'{"model":"' + model.encode() + b'","created_at":"2024-01-01T'
        if self.kind == "stall":  # the body after the pause; see `stall_parts`
            return 200, NDJSON, lines
        raise ValueError(f"{self.kind} replies are socket events, not bodies")


def trickle_lines(reply: Reply, model: str) -> list[bytes]:
    _, _, body = reply.render(model, True)
    return [line + b"\n" for line in body.split(b"\n") if line]


def stall_parts(reply: Reply, model: str) -> tuple[bytes, bytes]:
    """(bytes before the pause, bytes after it) of a `stall` reply."""
    _, _, head = reply.render(model, True)
    _, _, rest = Reply.text(reply.message).render(model, True)
    return head, rest


def _line(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    body: Any


def _details(name: str) -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": "qwen2",
        "families": ["qwen2"],
        "parameter_size": "3.1B",
        "quantization_level": "Q4_K_M",
    }


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-")[0].split(".")[:3])


OLD_FORMAT_ERROR = "json: cannot unmarshal object into Go struct field ChatRequest.format of type string"


class _Script:
    """The shared bookkeeping: recorded requests, the reply queue, the static endpoints. `shows` adds to a
    model's /api/show answer: context_length, capabilities, family (what a thinking or small model reports).
    An Ollama before 0.5 refuses a JSON-schema `format` with HTTP 400, as the real one did."""

    def __init__(
        self,
        replies: Sequence[Reply],
        models: Sequence[str],
        version: str,
        shows: Mapping[str, Mapping[str, Any]] | None = None,
        cycle: bool = False,
    ) -> None:
        self.replies = list(replies)
        self.cycle = cycle  # load tests: replies repeat round-robin and model loads are answered without a script
        self._served = 0
        self.models = tuple(models)
        self.version = version
        self.shows = dict(shows or {})
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()

    def record(self, method: str, path: str, raw: bytes) -> RecordedRequest:
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw
        recorded = RecordedRequest(method, path, body)
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def next_reply(self, recorded: RecordedRequest) -> Reply:
        body = recorded.body if isinstance(recorded.body, dict) else {}
        if isinstance(body.get("format"), dict) and _version(self.version) < (0, 5, 0):
            return Reply.status(400, OLD_FORMAT_ERROR)  # not scripted: what any old server answers
        if self.cycle:
            if not body.get("messages"):
                return Reply.text("")  # a model load
            with self._lock:
                self._served += 1
                return self.replies[(self._served - 1) % len(self.replies)]
        with self._lock:
            if not self.replies:
                count = sum(1 for r in self.requests if r.path == "/api/chat")
                raise AssertionError(
                    f"ScriptedOllama exhausted: chat request #{count} has no scripted reply (body={recorded.body!r})"
                )
            return self.replies.pop(0)

    def static(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]] | None:
        if (method, path) == ("GET", "/api/version"):
            return 200, {"version": self.version}
        if (method, path) == ("GET", "/api/tags"):
            return 200, {
                "models": [
                    {
                        "name": m,
                        "model": m,
                        "modified_at": "2024-01-01T00:00:00Z",
                        "size": 1,
                        "digest": "0" * 64,
                        "details": _details(m),
                    }
                    for m in self.models
                ]
            }
        if (method, path) == ("GET", "/api/ps"):
            return 200, {"models": []}
        if (method, path) == ("POST", "/api/show"):
            name = (body or {}).get("model", "") if isinstance(body, dict) else ""
            if name in self.models:
                extra = self.shows.get(name, {})
                arch = str(extra.get("family", "qwen2"))
                return 200, {
                    "details": {**_details(name), "family": arch, "families": [arch]},
                    "model_info": {"general.architecture": arch, f"{arch}.context_length": extra.get("context_length", 32768)},
                    "modified_at": "2024-01-01T00:00:00Z",
                    "capabilities": list(extra.get("capabilities", ["completion"])),
                }
            return 404, {"error": f"model '{name}' not found"}
        return None


def _read_timeout(request: httpx.Request) -> float | None:
    return (request.extensions.get("timeout") or {}).get("read")


class _StallStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """Sends `head`, pauses, sends `tail`; a pause beyond the read timeout raises ReadTimeout mid-stream."""

    def __init__(self, head: bytes, tail: bytes, seconds: float, request: httpx.Request) -> None:
        self._head, self._tail, self._seconds, self._request = head, tail, seconds, request

    def _pause(self) -> tuple[float, bool]:
        read = _read_timeout(self._request)
        return (float(read), True) if read is not None and self._seconds > read else (self._seconds, False)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        seconds, expires = self._pause()
        time.sleep(seconds)
        if expires:
            raise httpx.ReadTimeout("timed out", request=self._request)
        yield self._tail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._head
        seconds, expires = self._pause()
        await asyncio.sleep(seconds)
        if expires:
            raise httpx.ReadTimeout("timed out", request=self._request)
        yield self._tail


class _TrickleStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """One line, a pause, the next line... (each pause below the read timeout)."""

    def __init__(self, lines: list[bytes], every_s: float) -> None:
        self._lines, self._every = lines, every_s

    def __iter__(self) -> Iterator[bytes]:
        for line in self._lines:
            yield line
            time.sleep(self._every)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for line in self._lines:
            yield line
            await asyncio.sleep(self._every)


class ScriptedOllama(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """In-process double. Honours the client's read timeout for `slow` replies, like a real socket would."""

    def __init__(
        self,
        replies: Sequence[Reply] = (),
        *,
        models: Sequence[str] = ("qwen2.5:3b",),
        version: str = "0.12.0",
        shows: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._script = _Script(replies, models, version, shows)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._script.requests

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self._script.requests if r.path == "/api/chat"]

    @property
    def remaining(self) -> int:
        return len(self._script.replies)

    def _begin(self, request: httpx.Request) -> httpx.Response | Reply:
        recorded = self._script.record(request.method, request.url.path, request.content)
        if (request.method, request.url.path) != ("POST", "/api/chat"):
            static = self._script.static(request.method, request.url.path, recorded.body)
            if static is None:
                return httpx.Response(404, text="404 page not found")
            return httpx.Response(static[0], json=static[1])
        return self._script.next_reply(recorded)

    def _answer(self, request: httpx.Request, reply: Reply) -> httpx.Response:
        if reply.kind == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if reply.kind == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        body = json.loads(request.content)
        if reply.kind == "stall":
            head, tail = stall_parts(reply, body.get("model", ""))
            return httpx.Response(200, headers={"content-type": NDJSON}, stream=_StallStream(head, tail, reply.seconds, request))
        if reply.kind == "trickle":
            lines = trickle_lines(reply, body.get("model", ""))
            return httpx.Response(200, headers={"content-type": NDJSON}, stream=_TrickleStream(lines, reply.seconds))
        status, ctype, content = reply.render(body.get("model", ""), body.get("stream", True))
        return httpx.Response(status, headers={"content-type": ctype}, content=content)

    def _slow(self, request: httpx.Request, reply: Reply) -> tuple[float, Reply | None]:
        """Seconds to wait, and the reply after it (None: the read timeout expires first)."""
        read = _read_timeout(request)
        if read is not None and reply.seconds > read:
            return float(read), None
        return reply.seconds, reply.then

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self._begin(request)
        while isinstance(reply, Reply) and reply.kind == "slow":
            seconds, after = self._slow(request, reply)
            time.sleep(seconds)
            if after is None:
                raise httpx.ReadTimeout("timed out", request=request)
            reply = after
        return reply if isinstance(reply, httpx.Response) else self._answer(request, reply)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        reply = self._begin(request)
        while isinstance(reply, Reply) and reply.kind == "slow":
            seconds, after = self._slow(request, reply)
            await asyncio.sleep(seconds)
            if after is None:
                raise httpx.ReadTimeout("timed out", request=request)
            reply = after
        return reply if isinstance(reply, httpx.Response) else self._answer(request, reply)


class LoopbackOllama:
    """The same scripts over real HTTP on 127.0.0.1 (pytest-httpserver). `refused`/`timeout` replies cannot
    be served over a socket: use `closed_port()` and `Reply.slow(...)` instead. Handler errors (e.g. an
    exhausted script) surface as HTTP 500 and again in `httpserver.check_assertions()`."""

    def __init__(
        self,
        httpserver: Any,
        replies: Sequence[Reply] = (),
        *,
        models: Sequence[str] = ("qwen2.5:3b",),
        version: str = "0.12.0",
        shows: Mapping[str, Mapping[str, Any]] | None = None,
        cycle: bool = False,
    ) -> None:
        from werkzeug import Request, Response

        self._script = _Script(replies, models, version, shows, cycle)
        self.url = httpserver.url_for("/").rstrip("/")

        def handler(request: Request) -> Response:
            raw = request.get_data()
            recorded = self._script.record(request.method, request.path, raw)
            if (request.method, request.path) != ("POST", "/api/chat"):
                static = self._script.static(request.method, request.path, recorded.body)
                if static is None:
                    return Response("404 page not found", status=404)
                return Response(json.dumps(static[1]), status=static[0], content_type="application/json")
            reply = self._script.next_reply(recorded)
            while reply.kind == "slow" and reply.then is not None:
                time.sleep(reply.seconds)
                reply = reply.then
            body = recorded.body if isinstance(recorded.body, dict) else {}
            if reply.kind == "stall":
                head, tail = stall_parts(reply, body.get("model", ""))

                def stalled() -> Iterator[bytes]:
                    yield head
                    time.sleep(reply.seconds)
                    yield tail

                return Response(stalled(), status=200, content_type=NDJSON, direct_passthrough=True)
            if reply.kind == "trickle":
                lines = trickle_lines(reply, body.get("model", ""))

                def trickled() -> Iterator[bytes]:
                    for line in lines:
                        yield line
                        time.sleep(reply.seconds)

                return Response(trickled(), status=200, content_type=NDJSON, direct_passthrough=True)
            status, ctype, content = reply.render(body.get("model", ""), body.get("stream", True))
            return Response(content, status=status, content_type=ctype)

        httpserver.expect_request("/", method="GET").respond_with_handler(handler)
        for path in ("/api/version", "/api/tags", "/api/ps", "/api/show", "/api/chat"):
            httpserver.expect_request(path).respond_with_handler(handler)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._script.requests


def closed_port() -> int:
    """A local port nobody listens on (bound, then released), for connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- a scripted ChatEngine: the embedded transport's other side, without llama.cpp ------------------------


@dataclass(frozen=True)
class Gen:
    """One scripted engine.chat(): `pieces` as deltas, then `error` (mid-stream) or a Finish.
    With no pieces and an error, it fails before the first event. `delay_s` pauses before the first event."""

    pieces: tuple[str, ...] = ()
    done_reason: Literal["stop", "length"] = "stop"
    error: BaseException | None = None
    delay_s: float = 0.0

    @classmethod
    def json_answer(cls, obj: Mapping[str, Any]) -> Gen:
        text = json.dumps(obj, ensure_ascii=False)
        return cls(pieces=tuple(text[i : i + 6] for i in range(0, len(text), 6)))


class ScriptedEngine:
    """Implements app.embedded.ChatEngine from a script; records every chat() call; fails loudly when exhausted."""

    def __init__(self, script: Sequence[Gen] = (), *, name: str = "smollm2:135m", max_ctx: int = 2048) -> None:
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []
        self.loads: list[int | None] = []
        self.unloads = 0
        self._name = name
        self._max_ctx = max_ctx
        self._n_ctx: int | None = None

    @property
    def model_name(self) -> str:
        return self._name

    def card(self) -> ModelCard:
        return ModelCard(
            name=self._name,
            aliases=(self._name, "smollm2"),
            path="/fake/SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98362432,
            digest="f" * 64,
            modified_at="2024-01-01T00:00:00Z",
            details=ModelDetails(family="llama", families=("llama",), parameter_size="135M", quantization_level="Q4_1"),
        )

    def loaded_ctx(self) -> int | None:
        return self._n_ctx

    def load(self, *, num_ctx: int | None = None) -> LoadReport:
        self.loads.append(num_ctx)
        cold = self._n_ctx is None
        self._n_ctx = min(num_ctx or self._max_ctx, self._max_ctx) if cold else self._n_ctx
        return LoadReport(load_duration=150_000_000 if cold else 0, cold=cold, n_ctx=self._n_ctx or self._max_ctx)

    def unload(self) -> bool:
        self.unloads += 1
        loaded, self._n_ctx = self._n_ctx is not None, None
        return loaded

    def chat(
        self, messages: Sequence[Mapping[str, str]], *, format: Any, options: Mapping[str, Any] | None, stream: bool = True
    ) -> Iterator[ChatEvent]:
        self.calls.append({"messages": [dict(m) for m in messages], "format": format, "options": options, "stream": stream})
        if not self.script:
            raise AssertionError(f"ScriptedEngine exhausted: chat call #{len(self.calls)} has no scripted reply")
        return self._run(self.script.pop(0), (options or {}).get("num_ctx"))

    def _run(self, gen: Gen, num_ctx: int | None) -> Iterator[ChatEvent]:
        time.sleep(gen.delay_s)
        report = self.load(num_ctx=num_ctx)
        if gen.error is not None and not gen.pieces:
            raise gen.error
        for piece in gen.pieces:
            yield Delta(content=piece)
        if gen.error is not None:
            raise gen.error
        yield Finish(
            done_reason=gen.done_reason,
            total_duration=2_000_000,
            load_duration=report.load_duration,
            prompt_eval_count=20,
            prompt_eval_duration=500_000,
            eval_count=len(gen.pieces) + 1,
            eval_duration=1_000_000,
            cold=report.cold,
        )
