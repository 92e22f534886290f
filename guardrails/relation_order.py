"""Before/after read as a relation: "A before B" is "B after A", "A, and after that B" and "After A, B". Each form
of a relational pair gets the sense that says whether the thing named first comes first, and the two things it
orders are read where that reading puts them.

Pure policy layer (stdlib). Read by opposites.py, which then reports an answer only when it keeps the passage's two
things in their order of mention with the other sense, or swaps them with the same one.

- English "before"/"after" plainly order what is on their left against what is on their right ("A before B": the
  left first). Fronted, with nothing of their sentence before them ("After A, B": A first; "Before A, B": B first),
  or pointing back at the clause before them (", and after that B", "then before this", "after which"), they name
  the two things the other way round; "afterwards" and "thereafter" always do. Chinese 之前/之后 follow what they
  order ("A 之后，B"; "A，之后 B") and read alike either way.
- A sentence's lead is not one of the two things: a bold or underlined run it opens with ("**Pull first.** Before
  you run …", "**注意**：之前 …", "__Tip__: …"), a heading's marks ("## Before you start") or a "Label:" lead
  ("Note: before …"). The colon ends a clause as clause_bounds.CLAUSE_END reads it; the run ends one here, so a
  "Before" right after it is fronted, and the heading's words sit on neither side.
"""

from __future__ import annotations

import re

from guardrails.clause_bounds import CLAUSE_END

# A lead run: a sentence opening with a bold or underlined run (its opening marks may be trimmed already), closed
# before a sentence or label mark ("**Pull first.**", "**Note:**", "**注意**：") or before a capital or Chinese
# word ("**Pull first** Before"); not "**Ollama** runs", whose run is the sentence's subject.
_RUN = re.compile(
    r"^[\s#>*_-]*(?:\*\*|__)?[^*_\n]*?\S(?:\*\*|__)(?:[\s]*[.:：。!?！？]|(?=[\s]*[.:：。!?！？]|\s*[A-Z\u4e00-\u9fff]))"
)
_RUN_END_MARK = re.compile(r"[.:：。!?！？]\s*(?:\*\*|__)$")
_HEADING = re.compile(r"^\s*#+\s+")
# Where an English sentence goes on after a sentence end inside one piece ("X. Before Y" in an unsplit unit).
_SENTENCE_START = re.compile(r"[.!?]\s+(?=[A-Z])|;\s+|\n")
_BACK_LEAD = re.compile(r"(?:[,;:]|\band|\bthen)\s*$", re.IGNORECASE)
_BACK_REFERENT = re.compile(r"\s+(?:that|this|which)\b(?!\s+(?:is|was)\b)", re.IGNORECASE)
_PHRASE_END = re.compile(r",(?=\s)|，")  # where a fronted "After A" ends: "After A, B"
_ALWAYS_BACK = ("afterward", "afterwards", "thereafter")


def _lead_run(text: str) -> int:
    """Where a lead bold run of `text` ends (0 without one)."""
    run = _RUN.match(text)
    return 0 if run is None else run.end()


def lead_end(text: str, before: int | None = None) -> int:
    """Where the reading of `text` starts (up to `before`): after a lead bold run, heading marks, a "Label:" lead
    (a colon of CLAUSE_END with no clause mark before it) or a sentence end inside the piece; 0 when it has none."""
    limit = len(text) if before is None else before
    starts = [0]
    if (run := _lead_run(text)) <= limit:
        starts.append(run)
    if (heading := _HEADING.match(text)) is not None:
        starts.append(heading.end())
    mark = CLAUSE_END.search(text, 0, limit)
    if mark is not None and (mark.group() == "：" or (mark.group() == ":" and text[mark.end() : mark.end() + 1] in " \t")):
        starts.append(mark.end())  # a label's colon, not a port's or a time's in a code span (0.0.0.0:11434)
    starts += [m.end() for m in _SENTENCE_START.finditer(text, 0, limit)]
    return max(starts)


def fronted(text: str, form: re.Match[str]) -> bool:
    """An English "before"/"after" with nothing of its sentence before it but a lead: "After A, B" orders A and B
    around the comma ending its phrase, not around the word."""
    if form.group().lower() not in ("after", "before"):
        return False
    return re.search(r"\w", text[lead_end(text, form.start()) : form.start()]) is None


def converse(text: str, form: re.Match[str]) -> bool:
    """Whether an English form names its two things the other way round to its plain sense (fronted, pointing
    back, or "afterwards"); never a Chinese one."""
    word = form.group().lower()
    if not word.isascii() or word not in ("after", "before", *_ALWAYS_BACK):
        return False
    if word in _ALWAYS_BACK or fronted(text, form):
        return True
    return _BACK_REFERENT.match(text, form.end()) is not None and (
        text[form.end() :].lstrip().lower().startswith("which") or _BACK_LEAD.search(text, 0, form.start()) is not None
    )


def relation_sides(text: str, form: re.Match[str]) -> tuple[int, int, int, int]:
    """The spans (start, end, start, end) of the two things a relational form orders, in order of mention: around
    the comma ending a fronted phrase ("After A, B"), else around the word from the end of the sentence's lead, or
    within the lead when the word is in it (the run ends a clause)."""
    if fronted(text, form) and (comma := _PHRASE_END.search(text, form.end())) is not None:
        return form.end(), comma.start(), comma.end(), len(text)
    if form.start() < (run := _lead_run(text)):  # "**Clarification before calling the model.** Detect …"
        return 0, form.start(), form.end(), run
    return lead_end(text, form.start()), form.start(), form.end(), len(text)
