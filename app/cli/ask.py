"""`guarded-rag ask`: one question, or one per stdin line, answered through the guarded chain.

CLI layer: a thin view over GuardedRAG.ask; the JSON result is the contract other tools read.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from app import AskOptions, AskResponse, GuardedRAG, guard_headline, json_line, lang_of, stopping_guardrail
from app.cli.codes import EXIT_FAIL, EXIT_OK, EXIT_USAGE
from app.cli.stdin_text import reconfigure_stdin
from app.cli.terminal import event_line, one_line, say


def add_ask_command(sub: Any) -> None:
    ask = sub.add_parser("ask", help="ask a question ('-' reads one question per stdin line)")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the JSON result (one object per line with '-')")
    ask.add_argument(
        "--trace", action="store_true", help="include the full trace events in the output (with --json: an 'events' field)"
    )
    ask.add_argument("--backend", choices=["auto", "ollama", "embedded"])


def _question_text(text: str) -> str:
    """A question as typed or read from a line of stdin: without a leading byte order mark (a file saved by Windows
    Notepad starts with one, and it was asked as part of the question) and surrounding whitespace."""
    return text.lstrip("\ufeff").strip()


_PIECE = 1 << 16
"""Characters read from stdin at a time while a line longer than the question limit is skipped."""


@dataclass(frozen=True)
class StdinQuestion:
    """One stdin line as a question: at most the limit and one character of it is kept (`question`, what input_size
    then refuses), the rest of a longer line is read and dropped a piece at a time (`chars`: the line's length)."""

    question: str
    chars: int
    cut: bool  # the line was longer than what was kept: `question` is its beginning


def _read_question(stream: TextIO, keep: int | None) -> StdinQuestion | None:
    """The next line of `stream` as a question (None at the end), without holding more than `keep` characters of it
    plus one piece: a 200 MB line took 950 MB of memory and 18 s to be refused. `keep` None: the whole line.
    Leading and trailing whitespace and a byte order mark are dropped as _question_text drops them: a line that
    goes on past `keep` with more than whitespace is cut, and its kept beginning is longer than the limit."""
    if keep is None:
        line = stream.readline()
        return StdinQuestion(_question_text(line), len(line.rstrip("\n")), cut=False) if line else None
    head, chars, cut, started = "", 0, False, False
    while piece := stream.readline(_PIECE):
        started, ended = True, piece.endswith("\n")
        text = piece[:-1] if ended else piece
        chars += len(text)
        if chars == len(text):  # the line's first piece
            text = text.lstrip("\ufeff")
        if not head:
            text = text.lstrip()
        room = keep - len(head)
        head += text[:room]
        cut = cut or bool(text[room:].strip())
        if ended:
            break
    if not started:
        return None
    return StdinQuestion(head if cut else head.rstrip(), chars, cut=cut)


def _stdin_questions(stream: TextIO, limit: int | None) -> Iterator[tuple[int, StdinQuestion]]:
    """Each non-blank line of `stream` (numbered from 1) as it arrives, kept up to `limit` + 1 characters."""
    number = 0
    while (line := _read_question(stream, None if limit is None else limit + 1)) is not None:
        number += 1
        if line.question:
            yield number, line


def _print_response(r: AskResponse, out: TextIO, lang: str = "en", *, trace: bool = False) -> None:
    """The human-readable result. `lang` "zh" (a question with Chinese characters): a refusal or clarification
    also says in Chinese what its guardrail's firing means (the reasons below stay English, as in --json).
    `trace`: every trace event after it, one line each, as `traces show` prints them."""
    badge = {
        "answered": "ANSWERED",
        "clarify": "NEEDS CLARIFICATION",
        "refused": "REFUSED",
        "fallback": "FALLBACK",
        "error": "ERROR",
    }[r.status]
    out.write(f"[{badge}]" + (f" (answered by: {r.rung})" if r.rung and r.status == "fallback" else "") + "\n")
    stopped_by = stopping_guardrail(r.status, r.message, r.guardrails)
    if lang == "zh" and stopped_by is not None and (headline := guard_headline(stopped_by.name, "zh")):
        out.write(f"  {headline}\n")
    if r.answer:
        out.write(r.answer + "\n")
    if r.message and r.status != "answered":
        out.write(f"  {r.message}\n")
    for q in r.clarifying_questions:
        out.write(f"  ? {q}\n")
    for c in r.citations:
        out.write(f"  [{c.label or '-'}] {one_line(c.source)} #{c.chunk_id}\n")
    fired = [g for g in r.guardrails if g.fired]
    for g in fired:  # an output check judged every attempt of every rung: say which, or the lines read as repeats
        which = f"{g.stage}, {g.rung} attempt {g.attempt}" if g.rung and g.attempt else g.stage
        out.write(f"  guardrail {g.name} ({which}) fired: {g.reason}\n")
    passed = len(r.guardrails) - len(fired)
    out.write(
        f"  {passed} check{'' if passed == 1 else 's'} passed · {r.llm_calls} LLM call{'' if r.llm_calls == 1 else 's'} · {r.backend}/{r.model}{' at ' + r.host if r.host else ''} · {r.latency_ms:.0f} ms · trace {r.trace_id}\n"
    )
    if r.backend_fix:
        out.write(f"  note: {r.backend_fix}\n")
    if trace:
        out.writelines(event_line(e) for e in r.events)


def cmd_ask(svc: GuardedRAG, args: argparse.Namespace, out: TextIO) -> int:
    options = AskOptions(settings={"backend": args.backend} if args.backend else {})
    if args.question == "-" and sys.stdin is None:  # started with stdin closed (`<&-`)
        say("error: 'ask -' reads questions from stdin, and stdin is closed\n")
        return EXIT_USAGE
    # UTF-8 with bad bytes kept (refused by input_size), universal newlines, UTF-16/32 read by their mark
    if args.question == "-" and isinstance(sys.stdin, io.TextIOWrapper) and (note := reconfigure_stdin(sys.stdin)):
        say(note)
    # A generator, not a list: with '-' each line is answered as it arrives, so a tool that writes a question
    # and waits for its answer (a pipe kept open, a chat wrapper) is not left waiting for end-of-file.
    # A line longer than input_size's limit is read a piece at a time and only its beginning kept (refused on its
    # length all the same), so one enormous line cannot take the memory it would fill.
    questions: Iterator[tuple[int, StdinQuestion]]
    if args.question == "-":
        questions = _stdin_questions(sys.stdin, svc.question_limit(options))
    else:  # an argument is in memory already (and the OS bounds it); a blank one is refused: "empty question"
        text = _question_text(args.question)
        questions = iter([(0, StdinQuestion(text, len(text), cut=False))])
    code, asked = EXIT_OK, False
    for number, line in questions:
        asked = True
        r = svc.ask(line.question, options=options)
        if line.cut:
            say(
                f"note: stdin line {number} is {line.chars} characters long; only its first {len(line.question)} "
                "were read, which is already more than the input_size check accepts\n"
            )
        if args.json:
            out.write(json_line(r.to_json_dict(with_trace=args.trace)) + "\n")  # U+2028 and kin escaped (app/jsonline.py)
        else:
            _print_response(r, out, lang_of(line.question), trace=args.trace)
        out.flush()
        if r.status == "error":
            code = EXIT_FAIL
    if not asked:  # stdin held nothing but blank lines (or a byte order mark): say so, not a silent exit 0
        say("error: 'ask -' read no question from stdin: every line was blank\n")
        return EXIT_USAGE
    return code
