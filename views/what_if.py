"""View layer: the policy lab on the Traces page. What if: edit thresholds and enabled flags (validated like the
Settings page), replay the traces shown under the edited policy, see the decisions that flip (with links to each
trace's timeline) and download the policy as TOML. Sweep: one parameter over a range on labelled decisions.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app import (
    REGISTRY,
    GuardedRAG,
    GuardrailPolicy,
    TraceFilter,
    TraceRecord,
    TraceStoreError,
    cases_from_traces,
    edited_policy,
    parse_target,
    policy_toml,
    replay_traces,
    sweep,
)
from views import lab_rows
from views.i18n import t
from views.labels import store_error
from views.options import error_message
from views.policy_form import guardrail_inputs
from views.tables import table
from views.text import safe_md

MAX_POINTS = 201  # values in one sweep (each rechecks every labelled case)
REPLAY_LIMIT = 5000  # traces read for a replay (newest first, under the page's filters)


def _links() -> dict[str, Any]:
    return {"trace": st.column_config.LinkColumn(t("wi.trace"), display_text=lab_rows.LINK_TEXT)}


def render_what_if(svc: GuardedRAG, flt: TraceFilter) -> None:
    st.caption(t("wi.help"))
    results = st.container()  # above the form: the replay's result is what the user looks for after a click
    v = st.session_state.setdefault("wi_v", 0)
    with st.expander(t("wi.edit"), expanded=True), st.form("what_if"):
        edits = guardrail_inputs(svc.policy, f"wi-{v}")
        run = st.form_submit_button(t("wi.run"), type="primary", icon=":material/replay:")
    if run:
        try:
            policy, changed = edited_policy(svc.policy, edits)
        except ValueError as exc:
            results.error(t("set.invalid", error=safe_md(error_message(exc))), icon=":material/error:")
            return
        with st.spinner(t("wi.running")):  # thousands of traces: seconds of reading and rechecking
            try:
                records = svc.traces.list(flt.model_copy(update={"limit": REPLAY_LIMIT}), full=True)
            except TraceStoreError as exc:  # the store is down or stuck: said in the tab, the rest of the page stays
                results.error(t("wi.read_error", error=store_error(svc, exc)), icon=":material/error:")
                return
            report = replay_traces(records, policy)
        st.session_state["wi_result"] = (policy, changed, report, {r.trace_id: _row_source(r) for r in records})
    result = st.session_state.get("wi_result")
    if result is None:
        return
    policy, changed, report, records = result
    with results:
        _report(policy, changed, report, records)


def _row_source(record: TraceRecord) -> TraceRecord:
    """What the result tables read of a replayed trace (its question and status), without the replay inputs,
    result, events and labels: the session kept up to REPLAY_LIMIT full records (every passage each guardrail
    saw) for as long as it lived, hundreds of megabytes per session that ran a replay."""
    return record.model_copy(update={"inputs": None, "result": {}, "events": (), "labels": ()})


def _report(policy: GuardrailPolicy, changed: dict[str, Any], report: Any, records: dict[str, Any]) -> None:
    st.caption(t("wi.changed", changes=safe_md(str(changed) if changed else t("wi.nothing_changed"))))
    m1, m2, m3, m4, m5 = st.columns(5)
    m1.metric(t("wi.replayed"), report.replayed)
    m2.metric(t("wi.flipped"), len(report.flipped))
    m3.metric(t("wi.outcomes"), len(report.outcome_changes))
    m4.metric(t("wi.needs_model"), len(report.needs_model))
    m5.metric(t("wi.not_replayable"), len(report.not_replayable))
    st.markdown(f"**{t('wi.flips_title')}**")
    rows = lab_rows.flip_rows(report, records)
    if rows:
        table(rows, column_config=_links(), key="wi_flips")
    else:
        st.caption(t("wi.no_flips"))
    needs = lab_rows.needs_model_rows(report, records)
    if needs:
        st.markdown(f"**{t('wi.needs_title')}**")
        table(needs, column_config=_links(), key="wi_needs")
    if report.fire_rates:
        st.markdown(f"**{t('wi.rates_title')}**")
        chart = (
            alt.Chart(pd.DataFrame(lab_rows.fire_rate_rows(report)))
            .mark_bar()
            .encode(
                x=alt.X("rate:Q", title=t("tr.rate"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                y=alt.Y("guardrail:N", title=None, sort=None),
                yOffset=alt.YOffset("policy:N", sort=["before", "after"]),
                color=alt.Color("policy:N", title=None, sort=["before", "after"]),
                tooltip=["guardrail", "policy", alt.Tooltip("rate:Q", format=".1%")],
            )
            .properties(height=36 * len(report.fire_rates))
        )
        st.altair_chart(chart, width="stretch")
    if report.not_replayable:
        reasons = sorted({s.reason for s in report.not_replayable})
        st.caption(t("wi.not_replayable_why", reasons=safe_md("; ".join(reasons))))
    st.download_button(
        t("wi.download"),
        policy_toml(policy, note=f"What-if edits: {changed}"),
        file_name="policy.toml",
        mime="application/toml",
        icon=":material/download:",
    )


def render_sweep(svc: GuardedRAG) -> None:
    st.caption(t("sw.help"))
    numeric = {
        f"{g}.{p}": value
        for g in svc.policy.guardrails
        for p, value in svc.policy.params(g).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    if not numeric:
        return
    c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 2])
    param = c1.selectbox(t("sw.param"), list(numeric), index=_index(list(numeric), "relevance.min_hybrid"), key="sw_param")
    current = float(numeric[param])
    whole = not isinstance(numeric[param], float)
    spread = 2.0 if whole else 0.2  # a whole number: ±0.2 by steps of 1 was one value, cast below the current one
    lo, hi = param_bounds(*param.split(".", 1))
    floor = 0.0 if lo is None else lo
    start = c2.number_input(
        t("sw.start"),
        value=_clamp(round(current - spread, 2), floor, hi),
        step=0.05,
        min_value=lo,
        max_value=hi,
        key=f"sw_start_{param}",
    )
    stop = c3.number_input(
        t("sw.stop"),
        value=_clamp(round(current + spread, 2), floor, hi),
        step=0.05,
        min_value=lo,
        max_value=hi,
        key=f"sw_stop_{param}",
    )
    step = c4.number_input(t("sw.step"), value=1.0 if whole else 0.05, min_value=0.001, key=f"sw_step_{param}")
    target_text = c5.text_input(t("sw.target"), value="false_block<=0.03", key="sw_target")
    if st.button(t("sw.run"), icon=":material/query_stats:"):
        guardrail, name = param.split(".", 1)
        try:
            target = parse_target(target_text) if target_text.strip() else None
            n = point_count(start, stop, step)
            if n > MAX_POINTS:  # counted, not built: 0..1e6 by 0.001 would be a billion values
                st.error(t("sw.too_many", n=f"{n:,}", max=MAX_POINTS), icon=":material/error:")
                return
            values = [round(start + i * step, 10) for i in range(n)]
            with st.spinner(t("sw.running")):  # every labelled decision, rechecked at up to MAX_POINTS values
                labelled = svc.traces.list(TraceFilter(labelled=True, limit=100_000), full=True)
                st.session_state["sw_result"] = sweep(
                    cases_from_traces(labelled, guardrail), svc.policy, guardrail, name, values, target
                )
        except ValueError as exc:
            st.error(safe_md(error_message(exc)), icon=":material/error:")
            return
        except TraceStoreError as exc:  # the store is down or stuck: said in the tab, the rest of the page stays
            st.error(t("sw.read_error", error=store_error(svc, exc)), icon=":material/error:")
            return
    shown = st.session_state.get("sw_result")
    if shown is not None:
        _sweep_chart(svc, shown)


def point_count(start: float, stop: float, step: float) -> int:
    """How many values start, start+step, ... up to stop a sweep takes (0 when stop < start), without building
    them. ValueError for a step that is not a positive number or a bound that is not finite."""
    if not all(math.isfinite(x) for x in (start, stop, step)) or step <= 0:
        raise ValueError("the range needs finite bounds and a step above 0")
    return 0 if stop < start else math.floor((stop - start) / step + 1e-9) + 1


def param_bounds(guardrail: str, param: str) -> tuple[float | None, float | None]:
    """The least and greatest value the guardrail accepts for `param` (None: no such bound declared)."""
    field = getattr(REGISTRY.get(guardrail), "__pydantic_fields__", {}).get(param)
    lo = hi = None
    for rule in getattr(field, "metadata", ()):
        for name in ("ge", "gt"):
            if getattr(rule, name, None) is not None:
                lo = float(getattr(rule, name))
        for name in ("le", "lt"):
            if getattr(rule, name, None) is not None:
                hi = float(getattr(rule, name))
    return lo, hi


def _clamp(value: float, lo: float, hi: float | None) -> float:
    return max(lo, value if hi is None else min(hi, value))


def _index(options: list[str], wanted: str) -> int:
    return options.index(wanted) if wanted in options else 0


def _sweep_chart(svc: GuardedRAG, report: Any) -> None:
    if not report.cases:
        st.info(t("sw.no_cases", guardrail=safe_md(report.guardrail)))
        return
    st.caption(t("sw.cases", n=report.cases, param=safe_md(f"{report.guardrail}.{report.param}"), current=report.current))
    lines = (
        alt.Chart(pd.DataFrame(lab_rows.sweep_rows(report)))
        .mark_line(point=True)
        .encode(
            x=alt.X("value:Q", title=f"{report.guardrail}.{report.param}"),
            y=alt.Y("rate:Q", axis=alt.Axis(format="%"), title=None),
            color=alt.Color("metric:N", title=None),
            tooltip=["value", "metric", alt.Tooltip("rate:Q", format=".1%")],
        )
    )
    marks = [{"value": float(report.current), "mark": t("sw.current")}]
    if report.suggested is not None:
        marks.append({"value": report.suggested, "mark": t("sw.suggested")})
    rules = alt.Chart(pd.DataFrame(marks)).mark_rule(strokeDash=[4, 4]).encode(x="value:Q", tooltip=["mark", "value"])
    st.altair_chart(lines + rules, width="stretch")
    if report.suggested is None:
        st.warning(safe_md(report.reason))
        return
    st.success(t("sw.suggestion", value=report.suggested, reason=safe_md(report.reason)))
    tuned = svc.policy.with_overrides({report.guardrail: {report.param: report.suggested}})
    note = f"{report.guardrail}.{report.param} = {report.suggested:g}: {report.reason}"
    st.download_button(
        t("wi.download"), policy_toml(tuned, note=note), file_name="policy.toml", mime="application/toml", key="sw_dl"
    )
