"""Chaos mode: an httpx transport wrapper that injects model faults at the wire, below ChatOllama.

Wraps either backend's transport (real Ollama or embedded), so the guardrails, parse ladder, retries and
fallbacks above see exactly what a misbehaving model or server would produce. Deterministic given the rng.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

Fault = Literal["prose", "truncate", "wrong_citation", "latency", "transport_error", "timeout"]
ALL_FAULTS: tuple[Fault, ...] = ("prose", "truncate", "wrong_citation", "latency", "transport_error", "timeout")
CONTENT_FAULTS = frozenset({"prose", "truncate", "wrong_citation"})
OnFault = Callable[[str, str], None]
_CITATION = re.compile(r"\bS\d+\b")
_CHUNK = 24  # characters per re-emitted NDJSON line, so rewritten streams still stream


class ChaosConfig(BaseModel):
    """Which faults to inject at /api/chat, and how often."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float = Field(ge=0, le=1, description="Probability that a chat request gets a fault.")
    faults: tuple[Fault, ...] = Field(default=ALL_FAULTS, description="Faults to choose from, uniformly.")
    latency_s: float = Field(default=3.0, ge=0, le=600, description="Delay added by the latency fault.")
    seed: int | None = Field(default=None, description="Seed for the fault rng when the caller gives none.")


def mutate(fault: str, content: str) -> tuple[str, str]:
    """The corrupted assistant text and a one-line description for the trace."""
    if fault == "prose":
        return (
            f"Sure! Here is the answer:\n```json\n{content}\n```\nHope this helps.",
            "wrapped the JSON in prose and a code fence",
        )
    if fault == "truncate":
        cut = len(content) * 6 // 10
        return content[:cut], f"truncated the content from {len(content)} to {cut} characters"
    new, count = _CITATION.subn("S99", content)
    return new, f"replaced {count} citation label(s) with S99"


@dataclass(frozen=True)
class _Chaos:
    config: ChaosConfig
    rng: random.Random
    on_fault: OnFault | None

    def pick(self, request: httpx.Request) -> str | None:
        if request.method != "POST" or request.url.path.rstrip("/") != "/api/chat":
            return None
        if not self.config.faults or self.config.rate <= 0:
            return None
        if self.rng.random() >= self.config.rate:
            return None
        return self.rng.choice(self.config.faults)

    def report(self, fault: str, description: str) -> None:
        if self.on_fault is not None:
            self.on_fault(fault, description)

    def delay(self, request: httpx.Request) -> tuple[float, bool]:
        """Seconds to sleep and whether the client's read timeout expires first (then: ReadTimeout)."""
        read = (request.extensions.get("timeout") or {}).get("read")
        if read is not None and self.config.latency_s > read:
            return float(read), True
        return self.config.latency_s, False

    def rewrite(self, fault: str, response: httpx.Response, body: bytes) -> httpx.Response:
        if response.status_code != 200:
            self.report(fault, f"not applied: upstream answered HTTP {response.status_code}")
            return httpx.Response(response.status_code, headers=_ctype(response), content=body)
        try:
            content, description = self._rewrite_body(fault, body, _is_ndjson(response))
        except (ValueError, KeyError, TypeError) as exc:  # upstream sent something we cannot reassemble
            self.report(fault, f"not applied: {exc}")
            return httpx.Response(200, headers=_ctype(response), content=body)
        self.report(fault, description)
        return httpx.Response(200, headers=_ctype(response), content=content)

    def _rewrite_body(self, fault: str, body: bytes, ndjson: bool) -> tuple[bytes, str]:
        if not ndjson:
            obj = json.loads(body)
            new, description = mutate(fault, obj["message"]["content"])
            obj["message"]["content"] = new
            return json.dumps(obj, ensure_ascii=False).encode(), description
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        if not lines or any("error" in line for line in lines) or not lines[-1].get("done"):
            raise ValueError("upstream stream ended with an error or without a done line")
        final = lines[-1]
        text = "".join(line.get("message", {}).get("content") or "" for line in lines)
        new, description = mutate(fault, text)
        head = {k: v for k, v in lines[0].items() if k in {"model", "created_at"}}
        out = [
            {**head, "message": {"role": "assistant", "content": new[i : i + _CHUNK]}, "done": False}
            for i in range(0, len(new), _CHUNK)
        ]
        out.append({**final, "message": {**final.get("message", {}), "role": "assistant", "content": ""}})
        return b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in out), description


def _ctype(response: httpx.Response) -> dict[str, str]:
    # Fresh headers: the originals carry content-length / transfer-encoding of the old body.
    return {"content-type": response.headers.get("content-type", "application/json")}


def _is_ndjson(response: httpx.Response) -> bool:
    return "ndjson" in response.headers.get("content-type", "")


_BUSY: dict[str, Any] = {"error": "server busy (chaos)"}


class ChaosTransport(httpx.BaseTransport):
    """Sync chaos wrapper; `on_fault(fault, description)` is called once per injected fault."""

    def __init__(
        self, inner: httpx.BaseTransport, config: ChaosConfig, *, rng: random.Random, on_fault: OnFault | None = None
    ) -> None:
        self.inner = inner
        self._chaos = _Chaos(config, rng, on_fault)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._chaos.pick(request)
        if fault is None:
            return self.inner.handle_request(request)
        if fault == "transport_error":
            self._chaos.report(fault, "answered HTTP 503 without calling the model")
            return httpx.Response(503, json=_BUSY)
        if fault == "timeout":
            self._chaos.report(fault, "raised httpx.ReadTimeout without calling the model")
            raise httpx.ReadTimeout("chaos: the model did not answer in time", request=request)
        if fault == "latency":
            seconds, expires = self._chaos.delay(request)
            self._chaos.report(fault, f"delayed the request by {seconds:.2f} s")
            time.sleep(seconds)
            if expires:
                raise httpx.ReadTimeout("chaos: latency exceeded the read timeout", request=request)
            return self.inner.handle_request(request)
        response = self.inner.handle_request(request)
        try:
            body = response.read()
        finally:
            response.close()
        return self._chaos.rewrite(fault, response, body)

    def close(self) -> None:
        self.inner.close()


class AsyncChaosTransport(httpx.AsyncBaseTransport):
    """Async twin of ChaosTransport."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, config: ChaosConfig, *, rng: random.Random, on_fault: OnFault | None = None
    ) -> None:
        self.inner = inner
        self._chaos = _Chaos(config, rng, on_fault)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._chaos.pick(request)
        if fault is None:
            return await self.inner.handle_async_request(request)
        if fault == "transport_error":
            self._chaos.report(fault, "answered HTTP 503 without calling the model")
            return httpx.Response(503, json=_BUSY)
        if fault == "timeout":
            self._chaos.report(fault, "raised httpx.ReadTimeout without calling the model")
            raise httpx.ReadTimeout("chaos: the model did not answer in time", request=request)
        if fault == "latency":
            seconds, expires = self._chaos.delay(request)
            self._chaos.report(fault, f"delayed the request by {seconds:.2f} s")
            await asyncio.sleep(seconds)
            if expires:
                raise httpx.ReadTimeout("chaos: latency exceeded the read timeout", request=request)
            return await self.inner.handle_async_request(request)
        response = await self.inner.handle_async_request(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        return self._chaos.rewrite(fault, response, body)

    async def aclose(self) -> None:
        await self.inner.aclose()
