"""Calibration probes: answerable questions made from the corpus's own sentences, and off-corpus questions from
the bundled bilingual general set (data/calibration, tune split only: its report split stays held out).

App layer (lab). An answerable probe keeps a short run of a sentence's index terms (3-6 of them, about what a
user types) in a question frame of the sentence's language. It shares words with its passage but not the
passage's wording, like a real question; it cannot imitate colloquial words the corpus lacks, so real
questions score somewhat lower than probes (docs/GUARDRAILS.md measures by how much).
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app import words
from app.lab.evaluation.datasets import resolve, select
from guardrails.text import has_cjk

Lang = Literal["zh", "en"]
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=[.:])\s+|\n+")
_ZH_FRAMES = ("{}是什么？", "{}怎么设置？", "关于{}，有什么要注意的？", "{}是什么意思？")
_EN_FRAMES = ("What about {}?", "How does {} work?", "What should I know about {}?", "What is {}?")


@dataclass(frozen=True)
class Probe:
    question: str
    lang: Lang
    answerable: bool
    origin: str  # chunk id, or the general question's id


def _rng(key: str, seed: int) -> random.Random:
    return random.Random(int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:16], 16))


def _sentences(text: str) -> list[str]:
    # Heading paths ("Install > Linux") and table rows are layout, not sentences a question paraphrases.
    pieces = (s.strip(" \t#*-`") for s in _SENTENCE_END.split(text))
    return [s for s in pieces if len(s) >= 12 and " > " not in s and "|" not in s]


def probe_from(text: str, key: str, *, seed: int = 0) -> Probe | None:
    """One answerable probe from a chunk's text, or None when no sentence has enough terms."""
    rng = _rng(key, seed)
    candidates = [(s, words(s)) for s in _sentences(text)]
    candidates = [(s, ts) for s, ts in candidates if len(ts) >= 4]
    if not candidates:
        return None
    sentence, found = rng.choice(candidates)
    size = min(len(found), rng.randint(3, 6))
    start = rng.randint(0, len(found) - size)
    window = found[start : start + size]
    zh = has_cjk(sentence)
    body = "".join(window) if zh and all(has_cjk(w) for w in window) else " ".join(window)
    frame = rng.choice(_ZH_FRAMES if zh else _EN_FRAMES)
    return Probe(question=frame.format(body), lang="zh" if zh else "en", answerable=True, origin=key)


def answerable_probes(chunks: Sequence[tuple[str, str, str]], *, limit: int, seed: int = 0) -> list[Probe]:
    """Up to `limit` probes from distinct chunks, chosen by a seeded hash of the chunk id (stable across runs
    while the corpus is unchanged), balanced across the corpus rather than its first documents, and taken in turn
    from its Chinese chunks and its other chunks: each language's threshold is fitted on its own probes, so a
    language with few chunks still gets all it can give (a 4.5 MB English log beside a dozen Chinese pages made
    all 300 probes English, and calibrate said the corpus had no Chinese sentences)."""
    order = sorted(chunks, key=lambda c: hashlib.sha256(f"{seed}:{c[0]}".encode()).hexdigest())
    pools = [iter([c for c in order if has_cjk(c[2])]), iter([c for c in order if not has_cjk(c[2])])]
    out: list[Probe] = []
    while pools and len(out) < limit:
        for pool in list(pools):
            probe = next((p for cid, _, text in pool if (p := probe_from(text, cid, seed=seed)) is not None), None)
            if probe is None:
                pools.remove(pool)  # this language's chunks are used up
                continue
            out.append(probe)
            if len(out) >= limit:
                break
    return out


def off_corpus_probes(*, split: str = "tune") -> list[Probe]:
    """The bundled general questions of one hash split (calibration uses `tune`; `report` is held out)."""
    items = select(resolve("general") or [], split=split)
    return [Probe(question=i.question, lang="zh" if i.lang == "zh" else "en", answerable=False, origin=i.id) for i in items]
