"""What an answer passes on that its question and cited passages do not ask for or give: planted instructions,
contact handles, links, risky commands and chat-template markup, each a `Finding` (answer_injection.py re-asks on
them), and whether a passage is hostile (its links and commands then vouch for nothing).

Pure policy layer. The families are in answer_patterns.py (plus the override, role-play and goal-hijack families of
patterns.py), links in links.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from guardrails import answer_patterns as ap
from guardrails.links import Link, addresses, hosts
from guardrails.pattern_family import PatternFamily, scan
from guardrails.patterns import CONTEXT_FAMILIES, INSTRUCTION_OVERRIDE, ROLE_PLAY
from guardrails.patterns_more import GOAL_HIJACK
from guardrails.patterns_reader import AI_READER
from guardrails.text_quotes import squash

# Instructions that are never part of answering a question about documents (excused only when the question
# itself says the same words, e.g. "what does 'ignore previous instructions' mean?").
INSTRUCTION_FAMILIES = (
    INSTRUCTION_OVERRIDE,
    ap.IGNORE_DOCUMENTS,
    ROLE_PLAY,
    GOAL_HIJACK,
    AI_READER,
    ap.CREDENTIAL_SEND,
    ap.EXFILTRATION,
    ap.PHISHING,
)
_ENTRY = (ap.CREDENTIAL_ENTER,)
# What makes a passage hostile: it addresses the AI (context_injection's families) or asks the reader for secrets.
_HOSTILE_FAMILIES = (*CONTEXT_FAMILIES, ap.CREDENTIAL_SEND, ap.EXFILTRATION, ap.PHISHING)
MAX_TEXT = 120
"""The most characters of a finding's text recorded (as evidence and in a verdict's details)."""


@dataclass(frozen=True)
class Finding:
    """One reason to re-ask: what kind of thing the answer passes on, and the text that says it."""

    kind: str
    text: str

    def evidence(self) -> str:
        return f"{self.kind}: {self.text[:MAX_TEXT]}"


@lru_cache(maxsize=4096)
def hostile(passage: str) -> bool:
    """The passage addresses the AI or asks the reader for secrets: its links and commands vouch for nothing.
    Memoised like context_injection's scan: the same passages come back question after question."""
    return bool(scan(passage, _HOSTILE_FAMILIES))


def instruction_findings(answer: str, trusted: str, question: str) -> list[Finding]:
    """The instructions the answer passes on: the instruction families' hits, asking the user to enter a credential
    (unless the question is about credentials), and contact handles the trusted passages and question do not give."""
    found = _family_hits(answer, question, INSTRUCTION_FAMILIES)
    if not ap.CREDENTIAL_TOPIC.search(question):
        found += _family_hits(answer, question, _ENTRY)
    return found + _contact_findings(answer, trusted, question)


def _family_hits(answer: str, question: str, families: tuple[PatternFamily, ...]) -> list[Finding]:
    """The families' hits, each once (the de-obfuscated variant of a hit is the same hit), unless the question
    says the same words."""
    asked = squash(question)
    seen: dict[str, Finding] = {}
    for name, hits in scan(answer, families).items():
        for hit in hits:
            if squash(hit) in asked:
                continue
            key = "".join(ch for ch in squash(hit) if ch.isalnum())  # "a.b/c" and its de-obfuscated "ab/c"
            if key:
                seen.setdefault(key, Finding(name.replace("_", " "), hit))
    return list(seen.values())


def link_findings(answer_links: Iterable[Link], trusted: str, distrusted: str, question: str) -> list[Finding]:
    """The answer's links and e-mail addresses that neither the trusted passages nor the question give (named as
    planted when a hostile passage gives the host), and links with a slot for the conversation."""
    known_hosts, known_addresses = hosts(trusted) | hosts(question), addresses(trusted) | addresses(question)
    planted = hosts(distrusted)
    out = []
    for link in answer_links:
        if link.local:
            continue
        if link.slotted:
            out.append(Finding("link with a slot for the conversation", link.text))
        elif link.kind == "email" and link.text.lower() not in known_addresses:
            out.append(Finding("address not in the cited passages", link.text))
        elif link.kind != "email" and link.host not in known_hosts:
            kind = "link from a passage addressed to the AI" if link.host in planted else "link not in the cited passages"
            out.append(Finding(kind, link.text))
    return out


def _contact_findings(answer: str, trusted: str, question: str) -> list[Finding]:
    known = squash(trusted) + "\n" + squash(question)
    return [
        Finding("contact handle", match.group("h"))
        for pattern in ap.CONTACT
        for match in pattern.finditer(answer)
        if squash(match.group("h")) not in known
    ]


def command_findings(answer: str, trusted: str, question: str) -> list[Finding]:
    """Risky shell commands the question does not give; a download-and-run command is excused when the question is
    about installing and a trusted passage gives it."""
    documented, asked = squash(trusted), squash(question)
    install_question = ap.INSTALL_TOPIC.search(question) is not None
    out = []
    for pattern in ap.DOWNLOAD_EXEC:
        for match in pattern.finditer(answer):
            command = squash(match.group(0))
            if command not in asked and not (install_question and command in documented):
                out.append(Finding("download-and-run command", match.group(0)))
    for pattern in ap.RISKY_COMMAND:
        out += [Finding("risky command", m.group(0)) for m in pattern.finditer(answer) if squash(m.group(0)) not in asked]
    return out


def markup_findings(answer: str, trusted: str) -> list[Finding]:
    """Chat-template markup, role lines and role headers the trusted passages do not show."""
    shown = squash(trusted)
    out = [Finding("chat-template markup", m.group(0)) for m in ap.DELIMITER.finditer(answer)]
    out += [Finding("role line", m.group(0).strip()) for m in ap.ROLE_LINE.finditer(answer)]
    out += [Finding("role header", m.group(0).strip()) for m in ap.ROLE_HEADER.finditer(answer)]
    return [f for f in out if squash(f.text.strip("*# >")) not in shown]
