"""Labelled sets derived from the team's attacks of one split, for the input detectors' report: each short
attack buried in the middle of a long benign text of the same language (windows must find it), twice: with a
space on each side (`injection-buried`: the attack starts a clause of its own) and joined without a clean seam
(`injection-buried-joined`: mid-sentence, "and" in English, no space in Chinese, end punctuation dropped; the
construction is app.signals.calibration.bury); and each attack split over two user messages (the pending turns
must be read together), beside pairs of benign questions. Every derived item keeps its attack's id, so its
split is its attack's.

App layer (evaluation lab); pure functions over EvalItems.
"""

from __future__ import annotations

from typing import Literal

from app import bury
from app.lab.evaluation.records import EvalItem

BURIED_SETS: dict[Literal["spaced", "joined"], str] = {"spaced": "injection-buried", "joined": "injection-buried-joined"}


def derived_sets(attacks: list[EvalItem], benign: list[EvalItem]) -> list[EvalItem]:
    """Buried and split-over-turns variants of the attacks of one split (and benign pairs for the turns)."""
    out: list[EvalItem] = []
    for lang in ("zh", "en"):
        long = 200 if lang == "en" else 100  # a Chinese character carries about two Latin ones
        fillers = [b.question for b in benign if b.lang == lang and len(b.question) >= long]
        plain = [b for b in benign if b.lang == lang and len(b.question) < long]
        for n, a in enumerate(x for x in attacks if x.lang == lang and len(x.question) <= 300):
            if fillers:
                filler = fillers[n % len(fillers)]
                for seam, dataset in BURIED_SETS.items():
                    text = bury(filler, a.question, lang, seam)
                    out.append(a.model_copy(update={"dataset": dataset, "question": text}))
            words = a.question.split(" ") if lang == "en" else list(a.question)
            half = max(1, len(words) // 2)
            sep = " " if lang == "en" else ""
            head, tail = sep.join(words[:half]), sep.join(words[half:])
            out.append(a.model_copy(update={"dataset": "injection-turns", "question": tail, "history": (head,)}))
        for earlier, later in zip(plain[::2], plain[1::2], strict=False):
            out.append(later.model_copy(update={"dataset": "injection-turns", "history": (earlier.question,)}))
    return out
