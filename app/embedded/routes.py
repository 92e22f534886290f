"""Routing and validation for the embedded Ollama: turns an httpx.Request into a fixed answer or a
planned generation. Shared by the sync and async transports, which only differ in how they wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from app.embedded import wire
from app.embedded.events import ChatEngine, ChatEvent, Delta, Finish, LoadReport
from app.embedded.options import OptionsError, requested_ctx, response_format, sampling_kwargs


@dataclass(frozen=True)
class Unloaded:
    """The model was unloaded (keep_alive 0 on a request with nothing to answer); whether one was loaded."""

    was_loaded: bool


Produced = ChatEvent | LoadReport | Unloaded


@dataclass(frozen=True)
class Fixed:
    """An answer known without running the model."""

    status: int
    body: dict[str, Any] | str

    def response(self) -> httpx.Response:
        if isinstance(self.body, str):  # Ollama's router answers unknown paths in plain text
            return httpx.Response(self.status, text=self.body)
        return httpx.Response(self.status, json=self.body)


@dataclass(frozen=True)
class Generation:
    """A model call to run on a Pump, and how to render its events."""

    endpoint: wire.Endpoint
    model: str
    stream: bool
    produce: Callable[[], Iterator[Produced]]

    def line(self, event: Produced) -> dict[str, Any]:
        if isinstance(event, Delta):
            return wire.piece(self.endpoint, self.model, event.content)
        if isinstance(event, Finish):
            return wire.final(self.endpoint, self.model, event)
        if isinstance(event, Unloaded):
            return wire.unloaded(self.endpoint, self.model)
        return wire.loaded(self.endpoint, self.model, event)

    def collected(self, events: list[Produced]) -> dict[str, Any]:
        """The single stream=false object."""
        last = events[-1]
        if isinstance(last, LoadReport):
            return wire.loaded(self.endpoint, self.model, last)
        if isinstance(last, Unloaded):
            return wire.unloaded(self.endpoint, self.model)
        if not isinstance(last, Finish):
            raise RuntimeError("the embedded model stopped without a final message")
        text = "".join(e.content for e in events if isinstance(e, Delta))
        return wire.final(self.endpoint, self.model, last, content=text)


def read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout (httpx puts it on every request), applied by the transports."""
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


def plan(engine: ChatEngine, request: httpx.Request, content: bytes) -> Fixed | Generation:
    method, path = request.method.upper(), request.url.path.rstrip("/") or "/"
    if (method, path) in {("GET", "/"), ("HEAD", "/")}:
        return Fixed(200, "Ollama is running")
    if (method, path) == ("GET", "/api/version"):
        return Fixed(200, {"version": wire.VERSION})
    try:
        if (method, path) == ("GET", "/api/tags"):
            return Fixed(200, wire.tags(engine.card()))
        if (method, path) == ("GET", "/api/ps"):
            return Fixed(200, wire.ps(engine.card(), engine.loaded_ctx()))
        if (method, path) == ("POST", "/api/show"):
            return _show(engine, content)
        if (method, path) == ("POST", "/api/chat"):
            return _generation(engine, "chat", content)
        if (method, path) == ("POST", "/api/generate"):
            return _generation(engine, "generate", content)
    except (wire.BodyError, OptionsError) as exc:
        return Fixed(400, wire.error(str(exc)))
    except OSError as exc:  # ModelFileError: the GGUF is missing; the message says how to install it
        return Fixed(500, wire.error(str(exc)))
    return Fixed(404, "404 page not found")


def _show(engine: ChatEngine, content: bytes) -> Fixed:
    body = wire.parse_body(content, wire.ShowBody)
    card = engine.card()
    if not card.answers_to(body.model):
        return Fixed(404, wire.error(f"model '{body.model}' not found"))
    return Fixed(200, wire.show(card, engine.loaded_ctx()))


def _generation(engine: ChatEngine, endpoint: wire.Endpoint, content: bytes) -> Fixed | Generation:
    body = wire.parse_body(content, wire.ChatBody if endpoint == "chat" else wire.GenerateBody)
    card = engine.card()
    if not card.answers_to(body.model):
        return Fixed(404, wire.not_found(body.model))
    if refusal := wire.unsupported(body, card.name):
        return Fixed(400, wire.error(refusal))
    # Validate here so a bad option is a 400, not a failure inside the model thread.
    sampling_kwargs(body.options)
    response_format(body.format)
    num_ctx = requested_ctx(body.options)
    messages = _messages(body)
    unload = wire.unloads(body.keep_alive)
    if not messages and unload:  # Ollama's unload: keep_alive 0 and nothing to answer frees the model now

        def produce() -> Iterator[Produced]:
            yield Unloaded(was_loaded=engine.unload())

    elif not messages:  # Ollama's preload: an empty request loads the model and answers done_reason "load"

        def produce() -> Iterator[Produced]:
            yield engine.load(num_ctx=num_ctx)

    else:

        def produce() -> Iterator[Produced]:
            events = engine.chat(messages, format=body.format, options=body.options, stream=body.stream)
            return _then_unload(engine, events) if unload else events

    return Generation(endpoint=endpoint, model=body.model, stream=body.stream, produce=produce)


def _then_unload(engine: ChatEngine, events: Iterator[ChatEvent]) -> Iterator[Produced]:
    """The generation's events with the model unloaded (keep_alive 0) before the last one goes out, so a client that
    asks /api/ps on reading it finds the model gone; unloaded too when the reader stops early. `events` holds the
    engine's lock until it is closed, which is done before the unload asks for the lock."""
    done = False
    try:
        for event in events:
            if isinstance(event, Finish):
                _close(events)
                engine.unload()
                done = True
            yield event
    finally:
        if not done:
            _close(events)
            engine.unload()


def _close(events: Iterator[ChatEvent]) -> None:
    close = getattr(events, "close", None)
    if close is not None:
        close()


def _messages(body: wire.ChatBody | wire.GenerateBody) -> list[dict[str, str]]:
    if isinstance(body, wire.ChatBody):
        return [{"role": m.role, "content": m.content or ""} for m in body.messages]
    if not body.prompt:
        return []
    system = [{"role": "system", "content": body.system}] if body.system else []
    return [*system, {"role": "user", "content": body.prompt}]
