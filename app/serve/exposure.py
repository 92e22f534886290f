"""Where `serve` may listen: loopback by default, a bearer token required before it listens anywhere else (unless
the operator says --insecure), and every address the host resolves to checked bindable before the app starts.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

from app import GuardedRAG
from app.serve.options import ServeOptions


class ExposureError(ValueError):
    """Refusing to listen beyond loopback without a token."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(options: ServeOptions, svc: GuardedRAG) -> None:
    if is_loopback(options.host) or svc.settings.api_token is not None or options.insecure:
        return
    raise ExposureError(
        f"refusing to listen on {options.host} without a token: set GUARDED_RAG_API_TOKEN (clients then send "
        "`Authorization: Bearer <token>`), or pass --insecure to expose your documents to anyone who can reach the port"
    )


class ListenError(ValueError):
    """The address could not be bound (in use, not this machine's, a privileged port); the message says which."""


def check_bindable(host: str, port: int) -> None:
    """ListenError unless every address `host` resolves to can be bound on `port` (uvicorn binds them all).
    Checked before the app starts, so a port already taken is one clear error line instead of uvicorn's log of
    a startup, a bind error and a shutdown (exit 3). A trial bind released at once: another process could still
    take the port in between, and then uvicorn's own error stands."""
    try:
        addresses = {info[4][:2]: info[0] for info in socket.getaddrinfo(host.strip("[]") or None, port, type=socket.SOCK_STREAM)}
    except socket.gaierror as exc:
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    for address, family in addresses.items():
        with socket.socket(family, socket.SOCK_STREAM) as trial:
            trial.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT does not count
            if family == socket.AF_INET6:  # as asyncio binds IPv6: IPv6 only, so a listener on 0.0.0.0 does not collide
                trial.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                trial.bind(address)
            except OSError as exc:
                hint = (
                    "another server is listening there (stop it, or choose another --port)"
                    if exc.errno == errno.EADDRINUSE
                    else (exc.strerror or str(exc))
                )
                raise ListenError(f"cannot listen on {host}:{port}: {hint}") from None
