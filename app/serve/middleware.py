"""ASGI middleware of the HTTP service: the access log (one JSON line per request, with trace id, status
and latency, plus the request metrics) and the bearer-token check.

Pure ASGI rather than Starlette's BaseHTTPMiddleware: the log must see a streamed response to its last
byte (latency = until the answer is complete) and the status of responses that never reach a route.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import logging
import socket
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import json_line
from app.serve.errors import Problem, error_response
from app.serve.metrics import Metrics

ACCESS_LOG = "guarded_rag.serve.access"
PUBLIC_PATHS = frozenset({"/", "/healthz", "/readyz"})  # probes and the heartbeat carry no token, reveal nothing
# Set in the scope of every request BearerAuth lets through: whether it carried the token. A public path answers a
# client without it, but tells it no more than a probe needs (/readyz: ready or not, no backend host, model or index).
AUTHORIZED = "guarded_rag.authorized"
_ROUTES = (
    "/",
    "/api/tags",
    "/api/version",
    "/api/ps",
    "/api/show",
    "/api/chat",
    "/api/generate",
    "/v1/models",
    "/v1/chat/completions",
    "/v1/ask",
    "/healthz",
    "/readyz",
    "/metrics",
)


# Methods kept as a metrics label; any other is "other" (uvicorn's h11 protocol, used without httptools, takes any
# token as a method, and each would be a new series).
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"})


def route_of(path: str) -> str:
    """A bounded label for metrics (never the raw path: trace ids would make one series per request)."""
    if path in _ROUTES:
        return path
    if path.startswith("/v1/models/"):
        return "/v1/models/{model}"
    return "/v1/traces/{trace_id}" if path.startswith("/v1/traces/") else "other"


class AccessLog:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logger or logging.getLogger(ACCESS_LOG)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, object] = {"status": 500, "trace_id": None, "bytes": 0}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key.lower() == b"x-trace-id":
                        seen["trace_id"] = value.decode()
            elif message["type"] == "http.response.body":
                seen["bytes"] = int(seen["bytes"]) + len(message.get("body", b""))  # type: ignore[call-overload]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            seconds = time.perf_counter() - started
            route = route_of(scope["path"])
            method = scope["method"] if scope["method"] in _METHODS else "other"
            self.metrics.requests.labels(route=route, method=method, status=str(seen["status"])).inc()
            self.metrics.request_seconds.labels(route=route).observe(seconds)
            client = scope.get("client")
            line = {
                "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": scope["method"],
                "path": scope["path"],
                "status": seen["status"],
                "latency_ms": round(seconds * 1000, 1),
                "trace_id": seen["trace_id"],
                "bytes": seen["bytes"],
                "client": f"{client[0]}:{client[1]}" if client else None,
            }
            self.log.info(json_line(line))  # one line, no raw control character from a client


class BearerAuth:
    """Every path but the probes needs `Authorization: Bearer <token>` (compared in constant time).
    CORS preflights (OPTIONS) are answered by the CORS middleware outside this one.

    Surrounding spaces are no part of a token, on either side (a configured " t " matched no header, since the
    header's token is read stripped); a blank token authorizes nothing. Exactly one Authorization header: with two,
    this check read the last and the rest of the stack (Starlette's Headers, a proxy) the first, so a request whose
    first header was wrong still passed."""

    def __init__(self, app: ASGIApp, *, token: str, metrics: Metrics) -> None:
        self.app = app
        self._token = token.strip().encode()
        self.metrics = metrics

    def _authorized(self, scope: Scope) -> bool:
        headers = [value for name, value in scope.get("headers", []) if name.lower() == b"authorization"]
        if len(headers) != 1:
            return False
        scheme, _, given = headers[0].partition(b" ")
        given = given.strip()
        return scheme.lower() == b"bearer" and bool(given) and hmac.compare_digest(given, self._token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorized = self._authorized(scope)
        if authorized or scope["path"] in PUBLIC_PATHS:
            await self.app({**scope, AUTHORIZED: authorized}, receive, send)
            return
        self.metrics.rejected.labels(reason="unauthorized").inc()
        problem = Problem(
            401,
            "missing or wrong bearer token (send one header: Authorization: Bearer <GUARDED_RAG_API_TOKEN>)",
            code="invalid_api_key",
            headers={"WWW-Authenticate": "Bearer"},
        )
        await error_response(scope["path"], problem)(scope, receive, send)


_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


def _hostname(authority: str) -> str:
    """The host of a Host header ("[::1]:11435" -> "::1", "Localhost:80" -> "localhost")."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].partition("]")[0]
    return authority.rpartition(":")[0] if authority.count(":") == 1 else authority


def _local_ip(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_unspecified


@functools.cache
def _this_machine() -> str:
    return socket.gethostname().lower()  # asked once: every request checks its Host against it


def local_host(authority: str) -> bool:
    """Whether a Host header names this machine, by Ollama's rule for a server on loopback: no host, localhost,
    a loopback / private / unspecified address, this machine's name, or a .localhost / .local / .internal name.
    A web page's own domain is none of these, so a DNS-rebinding page (its name re-pointed at 127.0.0.1) is
    refused although its requests reach the loopback port."""
    host = _hostname(authority)
    return host in ("", "localhost", _this_machine()) or host.endswith(_LOCAL_SUFFIXES) or _local_ip(host)


def local_origin(origin: str) -> bool:
    """An http(s) page served by this machine (localhost or a loopback address, any port). An Origin that is not
    a URL ("http://[" made urlsplit raise: a 500 with a traceback) names no page of this machine."""
    try:
        parts = urlsplit(origin.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme not in ("http", "https"):
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalPagesCORS(CORSMiddleware):
    """Starlette's CORS with this machine's pages always allowed (`local_origin`, the rule LocalGuard lets through;
    Ollama allows localhost origins by default too) besides the allow-list."""

    def is_allowed_origin(self, origin: str) -> bool:
        return local_origin(origin) or super().is_allowed_origin(origin)


class LocalGuard:
    """What browsers can do to a server on this machine, refused with 403 before any work:
    - on a loopback server, a Host header that does not name this machine (DNS rebinding: a web page whose domain
      now resolves to 127.0.0.1 could otherwise read every answer and trace);
    - anywhere, a request from a web page (an Origin header) that is neither this machine's nor one of
      GUARDED_RAG_CORS_ORIGINS: CORS alone only hides the reply, and a plain form POST would still ask questions
      and write traces. "*" in the list allows every page, as the CORS middleware (and Ollama's OLLAMA_ORIGINS)
      read it: the CORS headers said any page could read the replies while this refused each of them.
    Clients that are not browsers (curl, the ollama and openai libraries, Open WebUI's backend) send no Origin."""

    def __init__(self, app: ASGIApp, *, loopback: bool, origins: Iterable[str], metrics: Metrics) -> None:
        self.app = app
        self.loopback = loopback
        self.origins = frozenset(o.rstrip("/") for o in origins)
        self.metrics = metrics

    def _allowed_origin(self, origin: str) -> bool:
        return "*" in self.origins or origin.rstrip("/") in self.origins or local_origin(origin)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host, origin = headers.get("host", ""), headers.get("origin")
        if self.loopback and not local_host(host):
            reason, message = (
                "foreign_host",
                (
                    f"host {host[:100]!r} is not this machine: a server on loopback answers only requests addressed to "
                    "localhost or 127.0.0.1 (a web page trying DNS rebinding is refused)"
                ),
            )
        elif origin is not None and not self._allowed_origin(origin):
            reason, message = (
                "foreign_origin",
                (
                    f"requests from the web page {origin[:100]!r} are not allowed; add its origin to "
                    "GUARDED_RAG_CORS_ORIGINS to let it use this server"
                ),
            )
        else:
            await self.app(scope, receive, send)
            return
        self.metrics.rejected.labels(reason=reason).inc()
        await error_response(scope["path"], Problem(403, message, code="forbidden"))(scope, receive, send)
