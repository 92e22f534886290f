"""Links in a text: URLs, bare domains, e-mail addresses and IP hosts, each reduced to the host it points at.

Pure policy layer (stdlib only). The answer_injection guardrail compares the links of an answer with those of its
cited passages; a bare domain counts only with a top-level domain that is not also a common file extension
(`install.sh`, `README.md`, `model.gguf` and `Ollama.app` are files, not sites).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

LinkKind = Literal["url", "domain", "email", "ip"]

# What a URL is made of (RFC 3986, ASCII; braces kept so that a `{slot}` is seen): quotes, brackets, backticks,
# whitespace, commas and any non-ASCII character (CJK text and punctuation written right after a link) end it.
_URL_BODY = r"[A-Za-z0-9\-._~:/?#@!$&*+=%{}|^]*"
# re.ASCII: with a Unicode \b, a scheme written right after Chinese text ("访问https://…") had no word boundary.
_URL_RE = re.compile(rf"\b(?:https?|ftp|wss?)://[A-Za-z0-9\-._~%@:\[\]]+{_URL_BODY}", re.IGNORECASE | re.ASCII)
_WWW_RE = re.compile(rf"(?<![A-Za-z0-9_@./-])www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+{_URL_BODY}", re.IGNORECASE)
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Top-level domains that name sites in practice and are not common file extensions (no .md, .sh, .py, .app).
_TLDS = (
    "com|net|org|io|ai|co|cn|dev|xyz|top|info|biz|me|cc|ru|tk|site|online|link|click|store|shop|live|pro|ml|ga"
    "|cf|gq|ly|gg|us|uk|de|jp|kr|tw|hk|sg|in|fr|nl|eu|tv|example|test|invalid|onion|icu|vip|club|win|loan|work"
    "|today|cloud|page|support|help|tech|network|website|space|fun|news|email"
)
_DOMAIN_RE = re.compile(
    rf"(?<![A-Za-z0-9_@./:-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?\.)+(?:{_TLDS})"
    rf"(?![A-Za-z0-9_-])(?::\d{{1,5}})?(?:/{_URL_BODY})?",
    re.IGNORECASE,
)
_IP_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)(?::\d{1,5})?")
_TRAILING = ".,;:!?)*_~"
# Earlier patterns claim their span first: a URL's host is not read again as a domain or an IP.
_PATTERNS: tuple[tuple[LinkKind, re.Pattern[str]], ...] = (
    ("url", _URL_RE),
    ("email", _EMAIL_RE),
    ("url", _WWW_RE),
    ("domain", _DOMAIN_RE),
    ("ip", _IP_RE),
)
# A slot for text to be filled in (`?q={user_question}`, `$(history)`): the exfiltration form of a link.
_SLOT_RE = re.compile(r"\{[^{}\s]{1,60}\}|\$\([^()\s]{1,60}\)|%7B[^\s]{1,60}%7D", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    """One link as written (`text`) and the host it points at (lowercase, no `www.`, no port)."""

    kind: LinkKind
    text: str
    host: str

    @property
    def local(self) -> bool:
        """Points at this machine (localhost, 127.x, 0.0.0.0, ::1): nothing leaves the machine through it."""
        if self.host in ("localhost", "host.docker.internal") or self.host.endswith(".localhost"):
            return True
        try:
            address = ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified

    @property
    def slotted(self) -> bool:
        """Carries a slot to be filled with text (`?q={question}`): how a link exfiltrates a conversation."""
        return self.kind in ("url", "domain") and _SLOT_RE.search(self.text) is not None


def _host(text: str, kind: LinkKind) -> str:
    if kind == "email":
        return text.rsplit("@", 1)[1].lower()
    rest = text.split("://", 1)[1] if "://" in text else text
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):  # an IPv6 literal: [::1]:11434
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    host = host.lower()
    return host.removeprefix("www.")


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split(":", 1)[0])
    except ValueError:
        return False
    return True


def links(text: str) -> list[Link]:
    """Every link of `text`, in order of appearance, each once. A URL's host is not listed again as a domain,
    nor an e-mail address's domain."""
    text = unicodedata.normalize("NFKC", text)
    found: list[Link] = []
    taken: list[tuple[int, int]] = []

    def add(kind: LinkKind, match: re.Match[str]) -> None:
        start, end = match.span()
        if any(s < end and start < e for s, e in taken):
            return
        raw = match.group(0).rstrip(_TRAILING)
        if kind == "ip" and not _valid_ip(raw):
            return
        taken.append((start, end))
        link = Link(kind=kind, text=raw, host=_host(raw, kind))
        if link.host and link not in found:
            found.append(link)

    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            add(kind, match)
    order = {link: text.find(link.text) for link in found}
    return sorted(found, key=lambda link: order[link])


def hosts(text: str) -> frozenset[str]:
    """The hosts every link of `text` points at (an e-mail address counts its domain)."""
    return frozenset(link.host for link in links(text))


def addresses(text: str) -> frozenset[str]:
    """The e-mail addresses of `text`, lowercase."""
    return frozenset(link.text.lower() for link in links(text) if link.kind == "email")
