"""`guarded-rag calibrate`: score the probes with the relevance guardrail as it runs in `ask`, pick one
threshold per language, and write a policy TOML the user loads with GUARDED_RAG_POLICY.

App layer (lab): a client of the service (svc.indexed_chunks, svc.relevance, svc.policy).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app import GuardedRAG
from app.lab.calibration.policy_file import policy_toml
from app.lab.calibration.probes import Probe, answerable_probes, off_corpus_probes
from app.lab.calibration.sweep import Choice, choose

PARAM = {"en": "min_hybrid", "zh": "min_hybrid_zh"}


class CalibrationError(ValueError):
    """Calibration cannot run on this index (empty, vector-only retrieval); the message says what to do."""


class Calibration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    collection: str
    chunks: int
    target: float
    choices: tuple[Choice, ...]
    thresholds: dict[str, float]
    skipped: int  # probes whose relevance check errored (not counted)
    policy_path: Path
    notes: tuple[str, ...] = ()


def calibrate(
    svc: GuardedRAG,
    *,
    out: Path,
    probes: int = 300,
    target: float = 0.95,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    if svc.settings.retrieval != "hybrid":
        raise CalibrationError("calibrate sets the hybrid relevance thresholds: run it with GUARDED_RAG_RETRIEVAL=hybrid")
    chunks = svc.indexed_chunks()
    if not chunks:
        raise CalibrationError(f"collection {svc.settings.collection!r} is empty: run `guarded-rag ingest` first")
    probe_set = answerable_probes(chunks, limit=probes, seed=seed) + off_corpus_probes(split="tune")
    scores: list[tuple[Probe, float]] = []
    skipped = 0
    for done, probe in enumerate(probe_set, 1):
        verdict = svc.relevance(probe.question)
        if verdict.errored or verdict.score is None:
            skipped += 1
        else:
            scores.append((probe, verdict.score))
        if progress is not None:
            progress(done, len(probe_set))
    choices: list[Choice] = []
    notes: list[str] = []
    for lang in ("en", "zh"):
        ans = [s for p, s in scores if p.lang == lang and p.answerable]
        off = [s for p, s in scores if p.lang == lang and not p.answerable]
        choices.append(choose(lang, ans, off, target=target))
        if not ans:
            notes.append(f"no {lang} sentences in the corpus: the {lang} threshold rests on off-corpus probes alone")
    thresholds = {PARAM[c.lang]: c.threshold for c in choices}
    policy = svc.policy.with_overrides({"relevance": thresholds})
    header = [
        f"Guardrail policy calibrated by `guarded-rag calibrate` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"collection {svc.settings.collection!r}: {len(chunks)} chunks; retrieval hybrid; top_k {svc.settings.top_k}",
        f"rule: lowest threshold refusing >= {target:.0%} of the bundled off-corpus probes (general questions, tune split)",
        *(
            f"{c.lang}: {PARAM[c.lang]} = {c.threshold} -> off-corpus probes refused {c.off_corpus_refused:.1%} "
            f"({c.off_corpus}), answerable probes refused "
            + (f"{c.answerable_refused:.1%} ({c.answerable})" if c.answerable_refused is not None else "n/a (none)")
            for c in choices
        ),
        "Load it with GUARDED_RAG_POLICY=<this file>. Every other entry is the policy calibrate started from.",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(policy_toml(policy, header=header), encoding="utf-8")
    return Calibration(
        collection=svc.settings.collection,
        chunks=len(chunks),
        target=target,
        choices=tuple(choices),
        thresholds=thresholds,
        skipped=skipped,
        policy_path=out,
        notes=tuple(notes),
    )
