"""The corpus the grounding checks' stress tests quote from: data/docs, whose every sentence is a supported answer
by definition (a quote), so no check that catches a wrong answer may fire on one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from guardrails.sentences import sentences

DOCS = Path(__file__).resolve().parents[2] / "data" / "docs"


class Quote(NamedTuple):
    """A sentence of `file` and the text it is checked against: its own section (`whole`), or that section
    without the sentence's own paragraph (so it is compared with the sentences nearest to it, which it does not
    restate)."""

    file: str
    sentence: str
    support: str
    whole: bool


def corpus_files() -> Iterator[tuple[str, str]]:
    """Each file of data/docs: its name and its text."""
    for path in sorted(DOCS.glob("*.*")):
        yield path.name, path.read_text(encoding="utf-8")


def section_quotes() -> Iterator[Quote]:
    """Every sentence of data/docs against its own section, then against the section without its paragraph."""
    for name, text in corpus_files():
        for section in text.split("\n## "):
            for paragraph in section.split("\n\n"):
                for sentence in sentences(paragraph):
                    yield Quote(name, sentence, section, whole=True)
                    yield Quote(name, sentence, section.replace(paragraph, ""), whole=False)
