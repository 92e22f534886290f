"""`guarded-rag calibrate`: score the probes with the relevance guardrail as it runs in `ask`, pick one
threshold per language, and write a policy TOML the user loads with GUARDED_RAG_POLICY.

App layer (lab): a client of the service (svc.indexed_chunks, svc.relevance, svc.policy).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app import GuardedRAG, IndexBusyError, LabelledCase
from app.lab.calibration.probes import answerable_probes, off_corpus_probes
from app.lab.calibration.sweep import FEW_ANSWERABLE, PARAM, Choice, choose
from app.lab.policy.files import policy_toml, replaceable_policy, write_policy
from guardrails import run_guardrail
from guardrails.relevance import RelevanceGuardrail
from guardrails.text import has_cjk


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
    on_wait: Callable[[str], None] | None = None,
) -> Calibration:
    if svc.settings.retrieval != "hybrid":
        raise CalibrationError("calibrate sets the hybrid relevance thresholds: run it with GUARDED_RAG_RETRIEVAL=hybrid")
    if not replaceable_policy(out):  # before the probes: the minutes of scoring are not spent on a file left alone
        raise CalibrationError(
            f"{out} is there and is not a guardrail policy, so it is left as it is: name a new file with --out "
            "(calibrate replaces only a policy file, e.g. one it wrote before)"
        )
    # One corpus from the chunk listing to the last probe: a running ingest or rebuild is waited for (calibrating
    # 15 chunks of a rebuild that had 6,900 to go wrote a policy for a corpus that never existed), and no write
    # starts until the probes are scored.
    try:
        with svc.index_held_still("calibrate", on_wait=on_wait):
            chunks, cases, skipped = _score(svc, probes=probes, seed=seed, progress=progress)
    except IndexBusyError as exc:
        raise CalibrationError(str(exc)) from None
    choices: list[Choice] = []
    notes: list[str] = []
    for lang in ("en", "zh"):
        choices.append(choose(lang, cases[lang], svc.policy, target=target))
        notes.extend(_few_probes_note(choices[-1]))
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
        *(f"note: {note}" for note in notes),
        "Load it with GUARDED_RAG_POLICY=<this file>. Every other entry is the policy calibrate started from.",
    ]
    write_policy(out, policy_toml(policy, header="", note="\n".join(header)))
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


def _few_probes_note(c: Choice) -> list[str]:
    """What a language with fewer than FEW_ANSWERABLE answerable probes got, with its numbers (choose()'s rule)."""
    lang, value = c.lang, f"{PARAM[c.lang]} {c.threshold}"
    if c.answerable >= FEW_ANSWERABLE:
        return []
    kept = (
        f"the starting policy's {value} is kept (the rule alone would pick {c.rule_threshold})"
        if c.rule_threshold is not None
        else f"{value} is the rule's value, not below the starting policy's"
    )
    if not c.answerable:
        return [f"no {lang} sentences in the corpus: nothing shows what a lower {lang} threshold would cost, so {kept}"]
    refused = f"{c.answerable_refused:.0%}" if c.answerable_refused is not None else "n/a"
    return [
        f"only {c.answerable} {lang} answerable probe(s) (one per chunk; {FEW_ANSWERABLE} needed): the {lang} "
        f"'answerable refused' rate ({refused}) is too rough to trust and the curve cannot show what a lower "
        f"threshold would cost, so {kept}. Calibrate again when the corpus has grown."
    ]


def _score(
    svc: GuardedRAG, *, probes: int, seed: int, progress: Callable[[int, int], None] | None
) -> tuple[list[tuple[str, str, str]], dict[str, list[LabelledCase]], int]:
    """The indexed chunks, each probe as the labelled case relevance sees for it (per language), and how many
    probes were skipped because their check errored."""
    chunks = svc.indexed_chunks()
    if not chunks:
        raise CalibrationError(f"collection {svc.settings.collection!r} is empty: run `guarded-rag ingest` first")
    probe_set = answerable_probes(chunks, limit=probes, seed=seed) + off_corpus_probes(split="tune")
    # Each probe becomes a labelled case (what relevance sees for it; off-corpus ones should be refused) for the
    # policy lab's sweep. Retrieval and the signals are the only model work: the sweep rechecks stored contexts.
    guard = RelevanceGuardrail(**svc.policy.params("relevance"))
    cases: dict[str, list[LabelledCase]] = {"en": [], "zh": []}
    skipped = 0
    for done, probe in enumerate(probe_set, 1):
        ctx = svc.retrieval_context(probe.question)
        verdict = run_guardrail(guard, ctx)
        if verdict.errored or verdict.score is None:
            skipped += 1
        else:  # by the guardrail's own rule: a question with CJK characters is held to min_hybrid_zh
            lang = "zh" if has_cjk(probe.question) else "en"
            cases[lang].append(LabelledCase(context=ctx, should_fire=not probe.answerable, source=probe.origin))
        if progress is not None:
            progress(done, len(probe_set))
    return chunks, cases, skipped
