"""What an exemplar detector learns from: its spec (which sets, which labels, the training knobs), the tune-split
exemplars the spec collects, and the weight each carries in training.

App layer (signals). The exemplars come from app/signals/exemplars.py; every window of a long negative exemplar
(app/signals/spans.py) is a negative exemplar too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.signals.exemplars import Exemplar, corpus_set, shared_set, team_set, tune_sample
from app.signals.linear import Vectors
from app.signals.spans import window_spans


@dataclass(frozen=True)
class DetectorSpec:
    """What one detector learns from: team sets and shared sets (name, cap on tune items), which lab kinds
    count as positive and which as negative (other kinds are left out), and the training knobs."""

    name: str
    positive: str  # label words used in evidence, e.g. "attack" / "benign"
    negative: str
    positive_kinds: frozenset[str]
    negative_kinds: frozenset[str]
    team: tuple[tuple[str, int | None], ...]
    shared: tuple[tuple[str, int | None], ...] = ()
    corpus: int | None = None  # paragraphs of the team's sample corpus used as negatives (None: not used)
    # Sliding windows (characters, most per text) scored besides the whole text; every window of a long
    # negative exemplar is a negative exemplar too, so windows of ordinary prose are not news to the model.
    window_chars: int | None = None
    max_windows: int = 12
    # Clause groups (app/signals/spans.clause_spans: one starting at each clause, packed up to this many
    # characters, most per text) of a long text, scored at run time beside the windows (not learned from); the
    # guardrail holds their best score to a bar of its own.
    clause_chars: int | None = None
    max_clauses: int = 24
    # Overlapping Chinese character windows (app/signals/spans.cjk_windows: this many Latin characters, a
    # Chinese one counting two, a start every third of that; none for a text needing more than the most) of a
    # long text, scored at run time with the clause groups (not learned from) and held to the same bar: an attack
    # run into Chinese prose with no seam shares its clause with the prose, and only a window of its size frames it.
    cjk_window_chars: int | None = None
    max_cjk_windows: int = 24
    l2: float = 1.0
    # Within a class, a dataset of n items gets total weight ~ n^(1 - source_balance): 0 weighs every item
    # alike, 1 every dataset alike (so 400 CLAMBER questions do not drown 60 team-written ones).
    source_balance: float = 0.5
    # Within a class, Chinese and the other languages carry equal weight (the third-party sets are English).
    language_balance: bool = False
    # When set, the score is the mean of the logistic probability and a vote of this many nearest exemplars
    # (app/signals/neighbours.py), weighted by exp(similarity / neighbour_temperature).
    neighbours: int | None = None
    neighbour_temperature: float = 0.05


def collect(
    spec: DetectorSpec, team_dir: Path, shared_dir: Path | None, corpus_dir: Path | None = None
) -> tuple[list[Exemplar], list[str]]:
    """The tune-split exemplars of a spec (plus windows of its long negatives) and notes saying which sources
    were missing."""
    wanted = spec.positive_kinds | spec.negative_kinds
    found: list[Exemplar] = []
    notes: list[str] = []
    for name, cap in spec.team:
        items = team_set(team_dir, name)
        if not items:
            notes.append(f"team set {name} not found in {team_dir}")
        found += tune_sample([e for e in items if e.kind in wanted], cap)
    absent: list[str] = []  # one note names them all: one line per set buried the doctor's report
    for name, cap in spec.shared:
        items = shared_set(shared_dir, name) if shared_dir is not None and shared_dir.is_dir() else []
        if not items:
            absent.append(name)
        found += tune_sample([e for e in items if e.kind in wanted], cap)
    if absent:
        sets = f"set {absent[0]}" if len(absent) == 1 else "sets " + ", ".join(absent)
        notes.append(f"third-party {sets} not found under {shared_dir}: learning without {'it' if len(absent) == 1 else 'them'}")
    if spec.corpus is not None:
        paragraphs = corpus_set(corpus_dir) if corpus_dir is not None else []
        if not paragraphs:
            notes.append(f"team corpus not found in {corpus_dir}")
        found += paragraphs[: spec.corpus]
    if spec.window_chars is not None:
        found += [
            e.model_copy(update={"key": f"{e.key}#chars{start}", "text": text})
            for e in found
            if e.kind in spec.negative_kinds
            for start, text in window_spans(e.text, spec.window_chars, spec.max_windows)
        ]
    return found, notes


def sample_weights(spec: DetectorSpec, exemplars: list[Exemplar], labels: np.ndarray) -> Vectors:
    counts = Counter((e.dataset, int(y)) for e, y in zip(exemplars, labels, strict=True))
    raw = np.array([float(counts[(e.dataset, int(y))]) ** -spec.source_balance for e, y in zip(exemplars, labels, strict=True)])
    weights = np.empty_like(raw)
    zh = np.array([e.lang == "zh" for e in exemplars])
    for cls in (0, 1):  # each class carries half the total weight
        mask = labels == cls
        parts = [mask & zh, mask & ~zh] if spec.language_balance and (mask & zh).any() and (mask & ~zh).any() else [mask]
        for part in parts:
            weights[part] = raw[part] * (len(labels) / 2 / len(parts)) / raw[part].sum()
    return weights
