"""The input-stage detectors measured per set, split and language: prompt_injection (attacks flagged, benign
questions falsely blocked) and completeness (vague questions clarified, clear ones falsely clarified).

App layer (evaluation lab). Every item goes through svc.screen, the same guardrails, signals and decision
rule as svc.ask, and nothing reaches a model. Sets are derived from the team's attacks of the chosen split
(derived.py): `injection-buried`, `injection-buried-joined` (the same without a clean seam) and
`injection-turns`; and `cmrc2018-dev-passages` screens long CMRC passages (window false blocks on prose nobody
trained on).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from app import AskOptions, GuardedRAG, Turn, split_of
from app.lab.evaluation import shared as sh
from app.lab.evaluation.datasets import default_shared, resolve
from app.lab.evaluation.derived import derived_sets
from app.lab.evaluation.metrics import Confusion, confusion, rate
from app.lab.evaluation.records import EvalItem
from app.lab.policy import current_value

Decision = Literal["combined", "lexical", "semantic"]
# "natural" and "short" (colloquial and bare short questions the sample docs answer) are reported per set, outside
# "team sets together", whose composition the headline targets were first measured on.
INJECTION_SETS: tuple[str, ...] = (
    *("injection", "benign", "golden", "natural", "short", "vague", "unanswerable", "promptfoo", "giskard"),
    *("jailbreak_zh", "flames", "clamber", "clariq", "cmrc2018-dev", "cmrc2018-dev-passages", "vague2", "natural2"),
    "injection2",
)
VAGUE_SETS = (
    *("vague", "golden", "natural", "short", "benign", "unanswerable", "injection", "clamber", "clariq"),
    *("cmrc2018-dev", "vague2", "natural2"),
)
DERIVED = ("injection-buried", "injection-buried-joined", "injection-turns")
TEAM = frozenset({"injection", "benign", "golden", "vague", "unanswerable", *DERIVED})
CLEAR_KINDS = frozenset({"clear", "answerable", "unanswerable", "benign"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Screened(_Frozen):
    """One item's input-stage outcome, split into what each signal decided."""

    dataset: str
    id: str
    split: str
    lang: str
    kind: str
    injection: bool  # prompt_injection fired
    injection_patterns: bool  # ... a pattern family matched
    injection_score: float | None  # the semantic attack probability it compared
    clarify: bool  # completeness fired
    clarify_lexical: bool  # ... for a lexical gap (not the semantic one)
    vague_score: float | None
    latency_ms: float


class DetectorRow(_Frozen):
    guardrail: str
    dataset: str
    split: str
    lang: str
    decision: Decision
    n: int
    positives: int
    precision: float | None
    recall: float | None  # share of positives flagged (attacks refused / vague questions clarified)
    false_block: float | None  # share of negatives flagged (benign refused / clear questions clarified)
    f1: float | None
    threshold: str


class DetectorReport(_Frozen):
    split: str
    thresholds: dict[str, float]
    rows: tuple[DetectorRow, ...]
    skipped: tuple[str, ...] = ()


# The detectors are measured on every item whole, as their tables always were: svc.screen stops where ask() does,
# after an input_size refusal, and 27 promptfoo/Giskard attacks of the tune split are longer than its limit (their
# recall read 0.588/0.625 instead of the detector's own).
WHOLE = AskOptions(guardrails={"input_size": {"enabled": False}})


def screen(svc: GuardedRAG, item: EvalItem, split: str) -> Screened:
    history = [Turn(role="user", content=t) for t in item.history]
    verdicts = {v.name: v for v in svc.screen(item.question, history=history, options=WHOLE)}
    inj, comp = verdicts.get("prompt_injection"), verdicts.get("completeness")
    return Screened(
        dataset=item.dataset,
        id=item.id,
        split=split,
        lang=item.lang,
        kind=item.kind,
        injection=bool(inj and inj.fired),
        injection_patterns=bool(inj and inj.details.get("families")),
        injection_score=inj.score if inj else None,
        clarify=bool(comp and comp.fired),
        clarify_lexical=bool(
            comp and comp.fired and set(comp.details.get("missing", [])) - {"intent", "judged"}
        ),  # not the semantic score or the model
        vague_score=comp.score if comp else None,
        latency_ms=round(sum(v.duration_ms for v in verdicts.values()), 3),
    )


def run_screens(
    svc: GuardedRAG,
    *,
    split: str = "report",
    shared: Path | None = None,
    eval_dir: Path | None = None,
    sets: Sequence[str] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[list[Screened], list[str]]:
    """Screen every item of `split` of the named sets (default: all of them), plus the derived ones."""
    wanted = set(sets) if sets is not None else set(INJECTION_SETS + VAGUE_SETS)
    items: dict[str, EvalItem] = {}
    skipped: list[str] = []
    for name in dict.fromkeys(n for n in INJECTION_SETS + VAGUE_SETS if n in wanted and n != "cmrc2018-dev-passages"):
        found = resolve(name, shared=shared, eval_dir=eval_dir)
        if found is None:
            skipped.append(name)
            log(f"skipping {name}: not found")
            continue
        items.update({i.key: i for i in found if split in ("all", split_of(i.key))})
    passages = sh.cmrc_paragraphs(shared or default_shared(), "dev") if "cmrc2018-dev-passages" in wanted else []
    if passages is None:
        skipped.append("cmrc2018-dev-passages")
    for pid, text in (passages or [])[::3]:  # every third passage: long Chinese prose nobody trained on
        item = EvalItem(dataset="cmrc2018-dev-passages", id=pid, question=text, kind="benign", lang="zh")
        if split in ("all", split_of(item.key)):
            items[item.key] = item
    chosen = [(i, split_of(i.key)) for i in items.values()]
    for s in ("tune", "report") if split == "all" else (split,):
        team = [i for i, where in chosen if where == s]
        attacks = [i for i in team if i.dataset == "injection" and i.kind == "injection"]
        chosen += [(d, s) for d in derived_sets(attacks, [i for i in team if i.dataset == "benign"])]
    log(f"screening {len(chosen)} items (input stage only, no model calls)")
    return [screen(svc, i, s) for i, s in chosen], skipped


def _flag(s: Screened, guardrail: str, decision: Decision, thresholds: dict[str, float]) -> bool:
    """combined: the verdict; lexical: the patterns / word lists alone; semantic: the embedding score alone."""
    injection = guardrail == "prompt_injection"
    score = s.injection_score if injection else s.vague_score
    if decision == "semantic":
        return score is not None and score >= thresholds[guardrail]
    if decision == "lexical":
        return s.injection_patterns if injection else s.clarify_lexical
    return s.injection if injection else s.clarify


def _row(guardrail: str, dataset: str, split: str, lang: str, decision: Decision, c: Confusion, threshold: str) -> DetectorRow:
    return DetectorRow(
        guardrail=guardrail, dataset=dataset, split=split, lang=lang, decision=decision,
        n=c.tp + c.fp + c.fn + c.tn, positives=c.tp + c.fn,
        precision=c.precision if c.tp + c.fp else None, recall=c.recall,
        false_block=rate(c.fp, c.fp + c.tn), f1=c.f1 if c.tp + c.fn else None, threshold=threshold,
    )  # fmt: skip


def tables(
    screened: Sequence[Screened], thresholds: dict[str, float], decisions: Iterable[Decision] = ("combined",)
) -> list[DetectorRow]:
    rows: list[DetectorRow] = []
    label = {
        "prompt_injection": f"patterns OR attack p >= {thresholds['prompt_injection']:.2f}",
        "completeness": f"lexical gaps OR underspecified p >= {thresholds['completeness']:.2f}",
    }
    for guardrail, sets in (
        ("prompt_injection", (*INJECTION_SETS, *DERIVED)),
        ("completeness", VAGUE_SETS),
    ):
        relevant = [s for s in screened if guardrail == "prompt_injection" or s.kind != "injection"]
        groups: dict[tuple[str, str, str], list[Screened]] = {}
        for s in relevant:
            if s.dataset in sets:
                groups.setdefault((s.dataset, s.split, s.lang), []).append(s)
                if s.dataset in TEAM and s.dataset not in DERIVED:
                    groups.setdefault(("team sets together", s.split, s.lang), []).append(s)
        positive = "injection" if guardrail == "prompt_injection" else "vague"
        for decision in decisions:
            for (dataset, split, lang), members in sorted(groups.items()):
                c = confusion((m.kind == positive, _flag(m, guardrail, decision, thresholds)) for m in members)
                rows.append(_row(guardrail, dataset, split, lang, decision, c, label[guardrail]))
    return rows


def detector_report(
    svc: GuardedRAG,
    *,
    split: str = "report",
    shared: Path | None = None,
    eval_dir: Path | None = None,
    sets: Sequence[str] | None = None,
    decisions: Iterable[Decision] = ("combined", "lexical", "semantic"),
    log: Callable[[str], None] = lambda _: None,
) -> DetectorReport:
    # the value each guardrail runs with (a partial policy that leaves it unset: the guardrail's default, not 1.0)
    thresholds = {
        name: float(current_value(svc.policy, name, "semantic_threshold")) for name in ("prompt_injection", "completeness")
    }
    screened, skipped = run_screens(svc, split=split, shared=shared, eval_dir=eval_dir, sets=sets, log=log)
    return DetectorReport(
        split=split, thresholds=thresholds, rows=tuple(tables(screened, thresholds, decisions)), skipped=tuple(skipped)
    )
