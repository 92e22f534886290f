"""Output guardrail: re-asks an answer that passes on instructions or links planted in a document (indirect prompt
injection that got through to the answer): instructions to the user that the question did not ask for, links the
cited passages do not give, and chat-template markup.

Pure policy layer. Grounding cannot see this: the planted words ARE in the passage. The families are in
answer_patterns.py (plus the override, role-play and goal-hijack families of patterns.py), links in links.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from guardrails import answer_patterns as ap
from guardrails.base import Chunk, FailMode, GuardContext, Stage, Verdict
from guardrails.links import Link, addresses, hosts, links
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
_MAX_TEXT = 120


@dataclass(frozen=True)
class Finding:
    """One reason to re-ask: what kind of thing the answer passes on, and the text that says it."""

    kind: str
    text: str

    def evidence(self) -> str:
        return f"{self.kind}: {self.text[:_MAX_TEXT]}"


@lru_cache(maxsize=4096)
def hostile(passage: str) -> bool:
    """The passage addresses the AI or asks the reader for secrets: its links and commands vouch for nothing.
    Memoised like context_injection's scan: the same passages come back question after question."""
    return bool(scan(passage, _HOSTILE_FAMILIES))


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


def _link_findings(answer_links: Iterable[Link], trusted: str, distrusted: str, question: str) -> list[Finding]:
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


def _command_findings(answer: str, trusted: str, question: str) -> list[Finding]:
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


def _markup_findings(answer: str, trusted: str) -> list[Finding]:
    shown = squash(trusted)
    out = [Finding("chat-template markup", m.group(0)) for m in ap.DELIMITER.finditer(answer)]
    out += [Finding("role line", m.group(0).strip()) for m in ap.ROLE_LINE.finditer(answer)]
    out += [Finding("role header", m.group(0).strip()) for m in ap.ROLE_HEADER.finditer(answer)]
    return [f for f in out if squash(f.text.strip("*# >")) not in shown]


def _support(ctx: GuardContext) -> list[Chunk]:
    cited = set(ctx.citations)
    return [c for c in ctx.chunks if c.label and c.label in cited] or list(ctx.chunks)


@pydantic_dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class AnswerInjectionGuardrail:
    name: ClassVar[str] = "answer_injection"
    stage: ClassVar[Stage] = "output"
    # The extractive fallback quotes passage sentences without a model; this check screens each quote too
    # (chains.fallback_answer): a planted instruction is as harmful quoted as paraphrased.
    screens_quotes: ClassVar[bool] = True

    check_instructions: bool = Field(
        default=True,
        description="Re-ask an answer telling the user to hand over secrets, send the conversation away, verify an "
        "account, contact a handle the passages do not give, or to ignore instructions (zh and en).",
    )
    check_links: bool = Field(
        default=True, description="Re-ask an answer with a URL, domain, IP or e-mail address no cited passage gives."
    )
    check_commands: bool = Field(
        default=True,
        description="Re-ask an answer with a risky shell command the question did not give (download-and-run is "
        "excused when a cited passage gives it and the question is about installing).",
    )
    check_markup: bool = Field(
        default=True, description="Re-ask an answer with chat-template markup (<|im_start|>, [INST], system: lines)."
    )
    distrust_hostile_passages: bool = Field(
        default=True,
        description="Links, handles, commands and markup of a cited passage that addresses the AI or asks for "
        "secrets support nothing.",
    )
    min_findings: int = Field(default=1, ge=1, description="Findings that re-ask the answer.")
    max_evidence: int = Field(default=5, ge=1, description="Most findings recorded as evidence.")
    # Fails closed: a safety check. An answer that could not be screened for planted instructions and links must
    # not be shown; the ladder re-asks and ends at the extractive answer.
    fail_mode: FailMode = "closed"

    def check(self, ctx: GuardContext) -> Verdict:
        answer = (ctx.answer or "").strip()
        if not answer:
            return Verdict(name=self.name, stage=self.stage, fired=False, reason="no answer to check")
        support = _support(ctx)
        distrusted = [c for c in support if self.distrust_hostile_passages and hostile(c.text)]
        trusted = "\n".join(c.text for c in support if c not in distrusted)
        found: list[Finding] = []
        if self.check_instructions:
            found += _family_hits(answer, ctx.question, INSTRUCTION_FAMILIES)
            if not ap.CREDENTIAL_TOPIC.search(ctx.question):
                found += _family_hits(answer, ctx.question, _ENTRY)
            found += _contact_findings(answer, trusted, ctx.question)
        answer_links = links(answer)
        if self.check_links:
            found += _link_findings(answer_links, trusted, "\n".join(c.text for c in distrusted), ctx.question)
        if self.check_commands:
            found += _command_findings(answer, trusted, ctx.question)
        if self.check_markup:
            found += _markup_findings(answer, trusted)
        found = list(dict.fromkeys(found))
        details = {
            "findings": [{"kind": f.kind, "text": f.text[:_MAX_TEXT]} for f in found],
            "links": [link.text for link in answer_links],
            "support_labels": [c.label for c in support],
            "hostile_passages": [c.label or c.chunk_id for c in distrusted],
        }
        if len(found) >= self.min_findings:
            kinds = ", ".join(dict.fromkeys(f.kind for f in found))
            return Verdict(
                name=self.name,
                stage=self.stage,
                fired=True,
                action="reask",
                reason=f"the answer passes on instructions or links the question did not ask for ({kinds}); answer "
                "the question only, without instructions, links, contacts or commands the passages do not support",
                evidence=tuple(f.evidence() for f in found[: self.max_evidence]),
                score=float(len(found)),
                threshold=float(self.min_findings),
                details=details,
            )
        return Verdict(
            name=self.name,
            stage=self.stage,
            fired=False,
            reason=f"no planted instruction, foreign link or markup in the answer ({len(answer_links)} link(s) checked)",
            score=float(len(found)),
            threshold=float(self.min_findings),
            details=details,
        )
