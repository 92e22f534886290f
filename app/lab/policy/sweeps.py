"""Sweep one guardrail parameter over a range on labelled decisions: precision, recall, false-block and miss rate
at each value, the current value marked, and the value that meets a target the user sets (e.g. false_block<=0.03).

Cases come from labelled traces (cases_from_traces) or from anything else that has a GuardContext and a right
answer: `guarded-rag calibrate` feeds its synthetic probes through this same sweep (app/lab/calibration/sweep.py).
The sweep itself only sees LabelledCase. Part of the policy lab.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict

from app import GuardContext, GuardInputs, GuardrailPolicy, TraceRecord
from app.lab.policy.decisions import unkept_signals
from app.lab.policy.labels import GuardrailQuality, expectations, score
from guardrails import REGISTRY, build_guardrails, run_guardrail

Metric = Literal["precision", "recall", "false_block", "miss"]
Tie = Literal["nearest", "lowest"]  # among equally good values: nearest the current one, or the lowest
RANGE_MAX_VALUES = 1000  # the most values one sweep tries
_TARGET = re.compile(r"^\s*(precision|recall|false_block|miss)\s*(<=|>=)\s*([0-9]*\.?[0-9]+)\s*(%?)\s*$")


@dataclass(frozen=True)
class LabelledCase:
    """One decision with its right answer: the context the guardrail saw and whether it should fire."""

    context: GuardContext
    should_fire: bool
    source: str  # a trace id, or a probe's id


@dataclass(frozen=True)
class Target:
    metric: Metric
    op: Literal["<=", ">="]
    bound: float

    def value(self, q: GuardrailQuality) -> float | None:
        """The metric's value (None: undefined, its denominator is 0)."""
        return {"precision": q.precision, "recall": q.recall, "false_block": q.false_block_rate, "miss": q.miss_rate}[self.metric]

    def met(self, q: GuardrailQuality) -> bool:
        value = self.value(q)
        if value is None:
            return False
        return value <= self.bound if self.op == "<=" else value >= self.bound

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.bound:g}"


def parse_target(text: str) -> Target:
    """'false_block<=0.03', 'false_block<=3%', 'recall>=0.9' -> Target; ValueError otherwise."""
    m = _TARGET.match(text)
    if not m:
        raise ValueError(
            f"target {text!r}: expected METRIC<=X or METRIC>=X with METRIC one of precision, recall, false_block, miss"
        )
    bound = float(m[3]) / (100 if m[4] else 1)
    if not 0 <= bound <= 1:  # "recall>=90" meant 90%: a bound no rate can meet would make every value miss it
        raise ValueError(f"target {text!r}: {m[1]} is a rate; write its bound as a fraction (0.9) or a percentage (90%)")
    return Target(metric=m[1], op=m[2], bound=bound)  # type: ignore[arg-type]


def parse_range(text: str, *, whole: bool = False) -> list[float]:
    """'0.2:0.5:0.05' -> [0.2, 0.25, ..., 0.5] (end included); ValueError otherwise. `whole`: the parameter
    takes whole numbers, so a value with a fraction is an error (it was truncated: 1, 1, 2, 2, 3 for 1:3:0.5)."""
    try:
        start, stop, step = (float(p) for p in text.split(":"))
    except ValueError:
        raise ValueError(f"range {text!r}: expected START:STOP:STEP, e.g. 0.2:0.5:0.05") from None
    if not all(math.isfinite(v) for v in (start, stop, step)):
        raise ValueError(f"range {text!r}: START, STOP and STEP must be finite numbers")
    if step <= 0 or stop < start:
        raise ValueError(f"range {text!r}: STEP must be > 0 and STOP >= START")
    steps = (stop - start) / step  # inf for a step too small beside the span (1e-320): no int, an OverflowError
    count = int(steps + 1e-9) + 1 if math.isfinite(steps) else None
    if count is None or count > RANGE_MAX_VALUES:
        shown = "too many" if count is None else f"{count:,}"
        raise ValueError(f"range {text!r} has {shown} values; at most {RANGE_MAX_VALUES:,}: use a larger STEP")
    values = [round(start + i * step, 10) for i in range(count)]
    if whole and any(v != int(v) for v in values):
        raise ValueError(f"range {text!r}: this parameter takes whole numbers; use whole START, STOP and STEP, e.g. 1:5:1")
    return values


def cases_from_traces(records: Sequence[TraceRecord], guardrail: str) -> list[LabelledCase]:
    """The labelled decisions of `guardrail` whose stored context can be rechecked (the nth run <-> the nth
    stage input where that guardrail has a stored verdict)."""
    cases = []
    for record in records:
        if record.inputs is None:
            continue
        ran = [c for c in record.inputs.captures if any(v.name == guardrail for v in c.verdicts)]
        for e in expectations(record):
            if e.guardrail == guardrail and 0 < e.attempt <= len(ran) and _recheckable(ran[e.attempt - 1], guardrail):
                cases.append(LabelledCase(context=ran[e.attempt - 1].context, should_fire=e.should_fire, source=record.trace_id))
    return cases


def _recheckable(capture: GuardInputs, guardrail: str) -> bool:
    """Its signals were computed and, where the guardrail reads one, kept (else a recheck would be a guess)."""
    cls = REGISTRY.get(guardrail)
    return capture.measured and (cls is None or not unkept_signals(cls, capture))


class SweepPoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # int for a whole-number parameter: a float made `policy sweep --out` write `max_evidence = 3.0`
    value: int | float
    quality: GuardrailQuality


class SweepReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    guardrail: str
    param: str
    current: Any
    cases: int
    points: list[SweepPoint]
    target: str | None = None
    suggested: int | float | None = None
    reason: str = ""


def current_value(policy: GuardrailPolicy, guardrail: str, param: str) -> Any:
    """The parameter's effective value under `policy`: what the guardrail built from it runs with (the value the
    policy sets, else the guardrail's default), even while the policy disables the guardrail. ValueError if the
    guardrail or parameter is unknown; PolicyError (a ValueError) naming the key if the policy's values for that
    guardrail are invalid."""
    _fields(guardrail, param)
    # Before: the dataclass field's default, which for a parameter declared with Field(default=...) is pydantic's
    # FieldInfo, not a number: a sweep from a partial policy that leaves the parameter unset crashed on it.
    return getattr(_built(policy, guardrail), param)


def _built(policy: GuardrailPolicy, guardrail: str, values: Mapping[str, Any] | None = None) -> Any:
    """The guardrail as `policy` configures it with `values` changed, enabled (the sweep rechecks it whether or
    not the policy runs it). PolicyError names the key when a value is invalid or out of range."""
    edited = policy.with_overrides({guardrail: {**(values or {}), "enabled": True}})
    return next(g for stage in build_guardrails(edited).values() for g in stage if g.name == guardrail)


def numeric_kind(guardrail: str, param: str) -> type[int] | type[float]:
    """int or float: what the parameter is declared as (not the type of whatever value a policy happens to hold:
    `min_hybrid = 1` in a TOML file is an int, yet min_hybrid takes fractions). ValueError when the parameter
    is unknown or not a number (a flag, a mode), which no numeric range can sweep."""
    declared = _fields(guardrail, param)[param]
    if declared is int:
        return int
    if declared is float:
        return float
    raise ValueError(f"{guardrail}.{param} is not a numeric parameter; a sweep takes one that holds a number")


def _fields(guardrail: str, param: str) -> dict[str, Any]:
    """The guardrail's policy parameters (name -> declared type), checked to include `param`."""
    cls = REGISTRY.get(guardrail)
    if cls is None:
        raise ValueError(f"unknown guardrail {guardrail!r}; known: {', '.join(REGISTRY)}")
    hints = get_type_hints(cls)  # the annotations resolved (the modules use `from __future__ import annotations`)
    fields = {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}
    if param not in fields:
        raise ValueError(f"{guardrail} has no parameter {param!r}; it has: {', '.join(fields)}")
    return fields


def sweep(
    cases: Sequence[LabelledCase],
    policy: GuardrailPolicy,
    guardrail: str,
    param: str,
    values: Sequence[float],
    target: Target | None = None,
    *,
    tie: Tie = "nearest",
) -> SweepReport:
    """Recheck every case at every value (the guardrail enabled, everything else as in `policy`)."""
    current = current_value(policy, guardrail, param)
    cast = numeric_kind(guardrail, param)
    points = []
    for value in values:
        guard = _built(policy, guardrail, {param: cast(value)})
        pairs = [(run_guardrail(guard, c.context).fired, c.should_fire) for c in cases]
        points.append(SweepPoint(value=cast(value), quality=score(guardrail, pairs)))
    suggested, reason = suggest(points, current, target, tie=tie)
    return SweepReport(
        guardrail=guardrail,
        param=param,
        current=current,
        cases=len(cases),
        points=points,
        target=str(target) if target else None,
        suggested=suggested,
        reason=reason,
    )


# Why a metric has no value at any point of a sweep (its denominator is 0 at every value).
_UNDEFINED: dict[str, str] = {
    "false_block": "no labelled decision says the guardrail should pass, so no false-block rate can be measured; "
    "label some decisions it should let through",
    "recall": "no labelled decision says the guardrail should fire, so no recall can be measured; label some it should block",
    "miss": "no labelled decision says the guardrail should fire, so no miss rate can be measured; label some it should block",
    "precision": "the guardrail fires on no labelled decision at any value in the range, so no precision can be measured",
}


def suggest(
    points: Sequence[SweepPoint], current: Any, target: Target | None, *, tie: Tie = "nearest"
) -> tuple[int | float | None, str]:
    """Among the values meeting `target`, the one best on the other side of the trade-off (a false-block or
    precision target: the best recall; a recall or miss target: the fewest false blocks); ties go to the value
    nearest the current one (`tie="lowest"`: to the lowest value, calibration's rule)."""
    if target is None:
        return None, "no target given"
    ok = [p for p in points if target.met(p.quality)]
    if not ok:
        if points and all(target.value(p.quality) is None for p in points):
            return None, f"no value can meet {target}: {_UNDEFINED[target.metric]}"
        return None, f"no value in the range meets {target}"
    other = "recall" if target.metric in ("false_block", "precision") else "false_block"

    def rank(p: SweepPoint) -> tuple[float, float]:
        q = p.quality
        gain = (q.recall or 0.0) if other == "recall" else -(q.false_block_rate or 0.0)
        return (-gain, p.value if tie == "lowest" else abs(p.value - float(current)))

    best = min(ok, key=rank)
    shown = other.replace("_", "-")
    if all((p.quality.recall if other == "recall" else p.quality.false_block_rate) is None for p in ok):
        # Before: "with the best recall" where no value had a recall (no labelled decision it should block).
        closest = "the lowest" if tie == "lowest" else "the one nearest the current value"
        return (
            best.value,
            f"meets {target}; {shown} cannot be measured on these labels, so of the {len(ok)} value(s) that do, {closest}",
        )
    return best.value, f"meets {target} with the best {shown} of the {len(ok)} value(s) that do"
