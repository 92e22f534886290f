"""OLLAMA_HOST, read the way Ollama reads it (its envconfig.Host and the Python client's _parse_host), normalized
to one explicit `scheme://host:port[/path]` at the edge (Settings validation), or rejected with a message saying
what is expected: never silently another host. App root; a function of one host string, so a list of hosts can
reuse it item by item.

Ollama's rules, kept: no scheme means http and port 11434; `:port` means 127.0.0.1; `http://host` means port 80
and `https://host` port 443 (Ollama's own client would go there too: the normalized URL shows the port, so it is
visible); IPv6 in brackets, or bare when it parses as an address; a path is kept (Ollama behind a proxy).
Stricter than Ollama: a bad port or a stray character is an error (Ollama logs a warning and falls back to the
default, which is how one ends up talking to another host). 0.0.0.0 and :: are bind-all addresses a server
listens on; as a destination they mean this machine, so they become 127.0.0.1 and ::1.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
import urllib.parse

DEFAULT_PORT = 11434
_SCHEME_PORTS = {"http": 80, "https": 443}
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?)*\.?$"
)
EXPECTED = "expected host, host:port, :port, [ipv6]:port or http(s)://host[:port][/path], e.g. 127.0.0.1:11434"


class HostError(ValueError):
    """OLLAMA_HOST cannot be read as one Ollama address; the message says what is expected."""


def _fail(value: str, why: str) -> HostError:
    return HostError(f"{value!r} is not an Ollama address: {why}; {EXPECTED}")


def _split_host_port(value: str, hostport: str, default_port: int) -> tuple[str, int]:
    if hostport.startswith("["):  # [ipv6] or [ipv6]:port
        end = hostport.find("]")
        if end == -1:
            raise _fail(value, "an IPv6 address opened with '[' is not closed")
        host, rest = hostport[1:end], hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            raise _fail(value, f"unexpected {rest!r} after the IPv6 address")
        port_text = rest[1:] if rest else ""
        _ipv6(value, host)
        return f"[{host}]", _port(value, port_text, default_port)
    if hostport.count(":") > 1:  # a bare IPv6 address (Ollama accepts it when it parses as one)
        _ipv6(value, hostport)
        return f"[{hostport}]", default_port
    host, _, port_text = hostport.partition(":")
    if ":" in hostport and not port_text:
        raise _fail(value, "the port after ':' is missing")
    return host, _port(value, port_text, default_port)


def _ipv6(value: str, text: str) -> None:
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        raise _fail(value, f"{text!r} is not an IPv6 address (put IPv6 addresses in brackets: [fe80::1]:11434)") from None


def _port(value: str, text: str, default_port: int) -> int:
    if not text:
        return default_port
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise _fail(value, f"port {text!r} must be a number from 1 to 65535")
    return int(text)


def normalize_ollama_host(raw: str) -> str:
    """`scheme://host:port[/path]` for one OLLAMA_HOST value, or HostError."""
    value = raw.strip()
    if not value:
        raise _fail(raw, "it is empty")
    if any(c.isspace() for c in value) or "," in value:
        raise _fail(raw, "it contains spaces or commas (one address only)")
    scheme, sep, hostport = value.partition("://")
    if not sep:
        scheme, hostport, default_port = "http", value, DEFAULT_PORT
    else:
        scheme = scheme.lower()
        if scheme not in _SCHEME_PORTS:
            raise _fail(raw, f"the scheme must be http or https, not {scheme!r}")
        default_port = _SCHEME_PORTS[scheme]
    if any(c in hostport for c in "?#@"):
        raise _fail(raw, "queries, fragments and user:password@ are not supported")
    hostport, slash, path = hostport.partition("/")
    host, port = _split_host_port(raw, hostport, default_port)
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "[::]":
        host = "[::1]"
    elif not host.startswith("[") and not _HOSTNAME.match(host):
        raise _fail(raw, f"{host!r} is not a host name or address")
    path = urllib.parse.quote(path.strip("/"), safe="/-._~") if slash else ""
    return f"{scheme}://{host}:{port}" + (f"/{path}" if path else "")


def implied_port_note(url: str) -> str | None:
    """A note when the port came from the scheme (http -> 80, https -> 443): Ollama reads it that way too, but
    it is rarely where Ollama listens. None otherwise."""
    split = urllib.parse.urlsplit(url)
    if split.port == _SCHEME_PORTS.get(split.scheme):
        return (
            f"{url} uses port {split.port} because the address names a scheme without a port (Ollama reads it the "
            f"same way); Ollama itself listens on {DEFAULT_PORT}: add :{DEFAULT_PORT} if that is where it runs"
        )
    return None


def normalize_ollama_hosts(raw: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Several Ollama addresses (a comma-separated string or a list), each through `normalize_ollama_host`;
    duplicates after normalization are an error (one host listed twice would get twice the traffic)."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    hosts: list[str] = []
    for item in items:
        if not str(item).strip():
            raise HostError(f"{raw!r} has an empty entry between commas; {EXPECTED}")
        host = normalize_ollama_host(str(item))
        if host in hosts:
            raise HostError(f"{raw!r} lists {host} twice")
        hosts.append(host)
    return tuple(hosts)


CHROMA_EXPECTED = "expected http(s)://host:port[/path], e.g. http://chroma.internal:8000"


def normalize_chroma_url(raw: str) -> str:
    """`scheme://host:port[/path]` for GUARDED_RAG_CHROMA_URL, or HostError. Stricter than chromadb, which turns
    a bare name into http://name:8000 and a bad port into a late connection error: the port must be written."""
    value = raw.strip().rstrip("/")
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in _SCHEME_PORTS:
        raise HostError(f"{raw!r} is not a Chroma server URL: the scheme must be http:// or https://; {CHROMA_EXPECTED}")
    if any(c.isspace() for c in value) or any(c in rest for c in "?#@,"):
        raise HostError(
            f"{raw!r} is not a Chroma server URL: spaces, commas, queries and user@ are not allowed; {CHROMA_EXPECTED}"
        )
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("[") and hostport.rfind("]") > hostport.rfind(":"):
        hostport = hostport + ":"  # an IPv6 address without a port: reported as a missing port below
    host, _, port_text = hostport.rpartition(":")
    if not host or not port_text:
        raise HostError(f"{raw!r} is not a Chroma server URL: the port is missing; {CHROMA_EXPECTED}")
    try:
        return normalize_ollama_host(f"{scheme.lower()}://{host}:{port_text}" + (f"/{path}" if slash else ""))
    except HostError as exc:  # the same host and port rules; the message must not call it an Ollama address
        why = str(exc).split(": ", 1)[-1].rsplit("; expected", 1)[0]
        raise HostError(f"{raw!r} is not a Chroma server URL: {why}; {CHROMA_EXPECTED}") from None


def import_ollama() -> None:
    """Import the ollama package, whatever OLLAMA_HOST holds.

    `import ollama` builds a module-level client from OLLAMA_HOST, and its parser raises ValueError for a value it
    cannot read: a comma-separated pool (which this app accepts: app.settings), an unclosed IPv6 bracket, a bad
    port. The import then fails before Settings can say what is wrong, as a traceback. The app never uses that
    module-level client (every client gets its host explicitly), so while importing, a value that is not one
    address is hidden from the environment and put back right after. Call it before anything imports ollama or
    langchain_ollama (app.models and the deferred Ollama embeddings import do); later imports are no-ops.
    """
    if "ollama" in sys.modules:
        return
    value = os.environ.get("OLLAMA_HOST")
    try:
        if value is not None:
            normalize_ollama_host(value)
        hidden = None
    except HostError:
        hidden = os.environ.pop("OLLAMA_HOST")
    try:
        import ollama  # noqa: F401  # the import is the point: it builds ollama's module client now
    finally:
        if hidden is not None:
            os.environ["OLLAMA_HOST"] = hidden
