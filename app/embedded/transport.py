"""The embedded Ollama: httpx transports (sync and async) that answer Ollama's API in-process from a
ChatEngine, so the app talks to it through an unmodified ChatOllama / ollama.Client.

Generation runs on a Pump thread; the client's read timeout is enforced here (httpcore is bypassed), and so is
the generation ladder's limit on the call (chains.circuit.MODEL_CALL_LIMIT: the question's remaining time, and
whether its caller went away) while a sync caller waits for the first token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx

from app.embedded import wire
from app.embedded.events import ChatEngine, Delta
from app.embedded.pump import Ended, Failed, Item, Pump, PumpTimeout
from app.embedded.routes import Fixed, Generation, Produced, plan, read_timeout
from chains.circuit import MODEL_CALL_LIMIT
from chains.errors import Cancelled

_NDJSON_HEADERS = {"content-type": wire.NDJSON}


SLICE = 0.25  # seconds a sync wait blocks between looks at the caller's limit


def _timeout_error(request: httpx.Request, exc: PumpTimeout) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(str(exc), request=request)


def _get(pump: Pump[Produced], timeout: float | None, request: httpx.Request) -> Item[Produced] | Failed | Ended:
    """The pump's next event for a sync caller, within `timeout`. Under a model-call limit it waits in slices
    and asks the limit between them: prompt processing runs for seconds before the first token, and a question
    withdrawn (Stop in the UI, a client gone) or out of time stopped neither the wait nor the model (the async
    path gets both from asyncio's cancellation). Either way the pump is cancelled, which stops the engine
    between prompt batches."""
    limit = MODEL_CALL_LIMIT.get()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            if limit is not None and limit.caller_gone():
                raise Cancelled()
            if limit is not None and time.monotonic() >= limit.deadline:
                raise httpx.ReadTimeout("the question's time ran out while the embedded model was working", request=request)
            left = _remaining(deadline)
            sliced = limit is not None and (left is None or left > SLICE)  # the limit is asked again after a slice
            try:
                return pump.get(SLICE if sliced else left)
            except PumpTimeout:
                if not sliced:
                    raise _timeout_error(request, PumpTimeout(f"no data from the embedded model within {timeout} s")) from None
    except BaseException:  # also Ctrl-C (KeyboardInterrupt) or Streamlit's stop raised in the waiting thread
        pump.cancel()
        raise


def _reraise_bugs(failed: Failed) -> None:
    """Assertions (e.g. an exhausted test double) and non-Exceptions propagate to the caller's thread:
    turned into HTTP errors they would look like transport failures and be retried."""
    if isinstance(failed.error, AssertionError) or not isinstance(failed.error, Exception):
        raise failed.error


def _before_stream(first: Failed | Ended) -> httpx.Response:
    """Ollama answers 500 {"error"} when the model fails before the first byte."""
    if isinstance(first, Failed):
        _reraise_bugs(first)
        return httpx.Response(500, json=wire.error(str(first.error) or type(first.error).__name__))
    return httpx.Response(500, json=wire.error("the embedded model produced no output"))


def _midstream(event: Failed | Ended) -> bytes:
    """After the 200 is sent, errors become an NDJSON {"error"} line (errors.mdx)."""
    if isinstance(event, Failed):
        _reraise_bugs(event)
        return wire.ndjson_line(wire.error(str(event.error) or type(event.error).__name__))
    return wire.ndjson_line(wire.error("the embedded model stopped without a final message"))


def _is_last(event: Produced) -> bool:
    return not isinstance(event, Delta)


class _SyncLines(httpx.SyncByteStream):
    def __init__(self, gen: Generation, pump: Pump[Produced], first: Produced, request: httpx.Request) -> None:
        self._gen, self._pump, self._first, self._request = gen, pump, first, request

    def __iter__(self) -> Iterator[bytes]:
        yield wire.ndjson_line(self._gen.line(self._first))
        if _is_last(self._first):
            return
        while True:
            try:
                event = self._pump.get(read_timeout(self._request))
            except PumpTimeout as exc:
                self._pump.cancel()
                raise _timeout_error(self._request, exc) from None
            if not isinstance(event, Item):
                yield _midstream(event)
                return
            yield wire.ndjson_line(self._gen.line(event.value))
            if _is_last(event.value):
                return

    def close(self) -> None:
        self._pump.cancel()  # the client stopped reading: stop generating


class _AsyncLines(httpx.AsyncByteStream):
    def __init__(self, gen: Generation, pump: Pump[Produced], first: Produced, request: httpx.Request) -> None:
        self._gen, self._pump, self._first, self._request = gen, pump, first, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield wire.ndjson_line(self._gen.line(self._first))
        if _is_last(self._first):
            return
        while True:
            event = await _aget(self._pump, read_timeout(self._request), self._request)
            if not isinstance(event, Item):
                yield _midstream(event)
                return
            yield wire.ndjson_line(self._gen.line(event.value))
            if _is_last(event.value):
                return

    async def aclose(self) -> None:
        self._pump.cancel()


async def _aget(pump: Pump[Produced], timeout: float | None, request: httpx.Request) -> Item[Produced] | Failed | Ended:
    try:
        return await asyncio.to_thread(pump.get, timeout)
    except PumpTimeout as exc:
        pump.cancel()
        raise _timeout_error(request, exc) from None
    except asyncio.CancelledError:
        pump.cancel()
        raise


def _collected(gen: Generation, events: list[Produced], tail: Failed | Ended | None) -> httpx.Response:
    if isinstance(tail, Failed):
        return _before_stream(tail)
    try:
        return httpx.Response(200, json=gen.collected(events))
    except RuntimeError as exc:
        return httpx.Response(500, json=wire.error(str(exc)))


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


class EmbeddedOllamaTransport(httpx.BaseTransport):
    """Sync transport for httpx.Client / ollama.Client / ChatOllama(sync_client_kwargs=...)."""

    def __init__(self, engine: ChatEngine) -> None:
        self.engine = engine

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        planned = plan(self.engine, request, request.read())
        if isinstance(planned, Fixed):
            return planned.response()
        timeout = read_timeout(request)
        pump: Pump[Produced] = Pump(planned.produce)
        first = _get(pump, timeout, request)
        if not isinstance(first, Item):
            return _before_stream(first)
        if planned.stream:
            return httpx.Response(200, headers=_NDJSON_HEADERS, stream=_SyncLines(planned, pump, first.value, request))
        # stream=false: Ollama sends nothing until done, so the read timeout bounds the whole generation.
        deadline = None if timeout is None else time.monotonic() + timeout
        events, tail = [first.value], None
        while not _is_last(events[-1]):
            event = _get(pump, _remaining(deadline), request)
            if not isinstance(event, Item):
                tail = event
                break
            events.append(event.value)
        return _collected(planned, events, tail)


class AsyncEmbeddedOllamaTransport(httpx.AsyncBaseTransport):
    """Async twin for httpx.AsyncClient / ChatOllama(async_client_kwargs=...); waits in worker threads."""

    def __init__(self, engine: ChatEngine) -> None:
        self.engine = engine

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        planned = plan(self.engine, request, await request.aread())
        if isinstance(planned, Fixed):
            return planned.response()
        timeout = read_timeout(request)
        pump: Pump[Produced] = Pump(planned.produce)
        first = await _aget(pump, timeout, request)
        if not isinstance(first, Item):
            return _before_stream(first)
        if planned.stream:
            return httpx.Response(200, headers=_NDJSON_HEADERS, stream=_AsyncLines(planned, pump, first.value, request))
        deadline = None if timeout is None else time.monotonic() + timeout
        events, tail = [first.value], None
        while not _is_last(events[-1]):
            event = await _aget(pump, _remaining(deadline), request)
            if not isinstance(event, Item):
                tail = event
                break
            events.append(event.value)
        return _collected(planned, events, tail)
