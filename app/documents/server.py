"""The index on a Chroma server (GUARDED_RAG_CHROMA_URL): one HttpClient per process and URL, every request with a
timeout. App layer, documents/: builds a ChromaStore in server mode for app.documents.index.

Why the client is patched after it is built (chromadb 1.5.9, chromadb/api/fastapi.py): `FastAPI.__init__` creates
its session as `httpx.Client(timeout=None, ...)` and no setting changes that, so a frozen server would hold every
call forever. The session is reachable as `client._server._session` and `httpx.Client.timeout` is settable, so
it gets a timeout right after construction. The constructor itself already sends requests on the untimed session
(identity, tenant, database), so a heartbeat with a timeout goes first, and the whole build runs under the
store's deadline (app.documents.store) anyway. The timeout is the longest a call may take (a write's deadline):
the store's own per-call deadline answers the caller; this one ends the abandoned request's thread.

httpx's timeout is per read, so a server (or proxy) that trickles its reply a byte at a time would still hold
that thread, and one of the store's call slots, for as long as it trickles. So the session's transport is wrapped
too (`client._server._session._transport`, httpx's private attribute, read defensively): every request, headers
and body, ends within the same timeout in all (app.http_deadline).

An error reply that is not one of Chroma's own JSON errors (a proxy's 502 page, a plain-text 500, a 401 from a
token-checking proxy) makes chromadb raise a bare `Exception(reply text)` (chromadb/api/base_http_client.py,
`_raise_chroma_error`), which nothing can tell from a bug: it reached the user as an internal error. A response
hook on the session turns such replies, and every 5xx, 401 and 403, into httpx.HTTPStatusError first, which the
store reports as the server not answering (IndexUnavailableError, with the status and URL). Chroma's own
client errors (404 NotFoundError for a deleted collection, 400 InvalidArgumentError) still reach chromadb.

The server's version is checked once, when the client is built (`check_version`): a server of another major
version than the chromadb client speaks failed later with an obscure error (a 404 from the v2 heartbeat on a 0.4
server, which has only /api/v1; a request validation error on others). Measured: the `chroma run` of chromadb
1.5.9 answers /api/v2/version with "1.0.0" (its Rust server's version), and /api/v1 with 410 Gone.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import chromadb
import chromadb.errors
import httpx
from chromadb.config import Settings as ChromaSettings

from app.documents.store import WRITE_FACTOR, ChromaStore, IndexUnavailableError
from app.http_deadline import TotalDeadline, bound_wire

HEARTBEAT = "/api/v2/heartbeat"
VERSION = "/api/v2/version"
OLD_VERSION = "/api/v1/version"  # servers before 1.0 (0.4 has no /api/v2 at all)
SUPPORTED_MAJOR = 1  # the server major version the installed chromadb client speaks
_LOCK = threading.Lock()
_SERVERS: dict[tuple[str, str], ChromaStore] = {}  # one client per server and token per process, like store_for


def _headers(token: str | None) -> dict[str, str] | None:
    return {"Authorization": f"Bearer {token}"} if token else None


def connect_http(url: str, token: str | None, timeout: float) -> Any:
    """A chromadb HttpClient for `url` whose every request times out after `timeout` seconds."""
    headers = _headers(token)
    with httpx.Client(timeout=min(timeout, 10.0), headers=headers) as probe:
        check_version(probe, url)
    split = urllib.parse.urlsplit(url)
    try:
        client: Any = chromadb.HttpClient(
            host=url,  # a full URL: chromadb keeps its scheme, port and path and appends /api/v2
            port=split.port or 8000,
            ssl=split.scheme == "https",
            headers=headers,
            settings=ChromaSettings(anonymized_telemetry=False),
        )
    except httpx.HTTPError:
        raise
    except Exception as exc:
        # Its requests (identity, tenant, database) run before the hook below is installed: a refused token (the
        # heartbeat needs none) is chromadb's ChromaAuthError, a proxy's error page a bare Exception.
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ConnectionError(f"{type(exc).__name__} from the Chroma server at {url}: {first}") from exc
    session: httpx.Client = client._server._session
    session.timeout = httpx.Timeout(timeout)
    _bound_in_all(session, timeout)
    hooks = session.event_hooks
    session.event_hooks = {**hooks, "response": [*hooks.get("response", []), _refuse_foreign_errors]}
    return client


class IncompatibleServerError(IndexUnavailableError):
    """The Chroma server runs a version this client cannot use; the message names it and the supported ones."""


def check_version(probe: httpx.Client, url: str) -> None:
    """Raise IncompatibleServerError unless the server at `url` runs a supported version. Its heartbeat goes first:
    a 401/403 from a proxy, or a server that is down, is reported as such (httpx errors, by the store)."""
    beat = probe.get(url + HEARTBEAT)
    if beat.status_code == 404:  # no /api/v2: a server before 0.5, when it is Chroma at all
        old = probe.get(url + OLD_VERSION)
        if old.is_success:
            _refuse(url, _version_of(old))
    beat.raise_for_status()
    found = probe.get(url + VERSION)
    if found.status_code in (401, 403):  # a refused token: chromadb's own first request reports it, with its reason
        return
    found.raise_for_status()
    version = _version_of(found)
    major = re.match(r"\s*v?(\d+)\.", version)
    if major is None or int(major.group(1)) != SUPPORTED_MAJOR:
        _refuse(url, version)


def _version_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return str(body).strip()[:40] or "an unknown version"


def _refuse(url: str, version: str) -> None:
    raise IncompatibleServerError(
        f"the Chroma server at {url} runs version {version}, which this app cannot use: it supports Chroma servers "
        f"{SUPPORTED_MAJOR}.x (the chromadb client here is {chromadb.__version__}). Run a Chroma {SUPPORTED_MAJOR}.x "
        f"server (`pip install 'chromadb>={SUPPORTED_MAJOR},<{SUPPORTED_MAJOR + 1}'`, then `chroma run`), or point "
        "GUARDED_RAG_CHROMA_URL at one."
    )


def _refuse_foreign_errors(response: httpx.Response) -> None:
    """Raise httpx.HTTPStatusError for an error reply chromadb would turn into a bare Exception (see the module
    docstring): any 5xx, 401 or 403, and any other error whose body is not a Chroma error."""
    if response.is_success or response.is_redirect:
        return
    response.read()
    if response.status_code < 500 and response.status_code not in (401, 403) and _is_chroma_error(response):
        return
    response.raise_for_status()


def _is_chroma_error(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") in chromadb.errors.error_types and "message" in body


class _ChromaReply(TotalDeadline):
    what = "the Chroma server's reply"


def _bound_in_all(session: httpx.Client, timeout: float) -> None:
    """Every request of `session` complete within `timeout` in all, proxied ones included."""
    inner = getattr(session, "_transport", None)
    if isinstance(inner, httpx.HTTPTransport):
        session._transport = _ChromaReply(bound_wire(inner), timeout)
    mounts = getattr(session, "_mounts", None)
    if isinstance(mounts, dict):
        for pattern, proxied in mounts.items():
            if isinstance(proxied, httpx.HTTPTransport):
                mounts[pattern] = _ChromaReply(bound_wire(proxied), timeout)


def server_store(url: str, token: str | None, *, timeout: float) -> ChromaStore:
    """The process's ChromaStore for a Chroma server (built on first use, shared by later callers; the client
    itself is built on the first call, so a server that is down now is picked up when it comes back)."""
    key = (url, token or "")
    with _LOCK:
        found = _SERVERS.get(key)
        if found is None:
            seconds = timeout * WRITE_FACTOR
            found = _SERVERS[key] = ChromaStore(
                Path(urllib.parse.quote(url, safe="")),  # unused in server mode: no lock or generation files
                connect=lambda: connect_http(url, token, seconds),
                server=url,
            )
        return found
