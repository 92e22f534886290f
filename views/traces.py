"""View layer: the Traces page — the store-wide view of every stored request (all sessions, CLI too):
filters, table, charts (aggregates computed in views.trace_stats), detail timeline and exports.
"""

from __future__ import annotations

import math
from typing import Final

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import GuardedRAG, TraceFilter, TraceRecord, TraceStoreError, not_replayable, stopping_guardrail
from views import state
from views import trace_stats as ts
from views.components import status_badge
from views.headlines import headline
from views.i18n import t
from views.labels import render_label_form, render_quality, store_error
from views.tables import table
from views.text import safe_md
from views.timeline import render_timeline
from views.what_if import render_sweep, render_what_if

EVENT_LIMIT = 200  # records whose events are loaded for the retries chart (the JSONL export loads the rest on click)
PAGE_SIZE = 500  # traces listed per page (newest first); older ones are on the next pages
PAGE_KEY = "tr_page"
KEEP: Final = "session"  # persist_state of the filters and page: kept across visits to other pages


def _filters(svc: GuardedRAG) -> TraceFilter:
    # persist_state: the filters the user left are still set when the page is opened again (Streamlit forgets a
    # widget's value on a run that does not draw it: a question asked on the chat in between reset them all).
    c1, c2, c3, c4 = st.columns(4)
    status = c1.selectbox(
        t("tr.status"), ["", *ts.STATUSES], format_func=lambda s: s or t("tr.any"), key="tr_status", persist_state=KEEP
    )
    guard = c2.selectbox(
        t("tr.guardrail"),
        ["", *svc.policy.guardrails],
        format_func=lambda s: s or t("tr.any"),
        key="tr_guard",
        persist_state=KEEP,
    )
    backend = c3.selectbox(
        t("tr.backend"), ["", "embedded", "ollama"], format_func=lambda s: s or t("tr.any"), key="tr_backend", persist_state=KEEP
    )
    model = c4.text_input(t("tr.model"), key="tr_model", persist_state=KEEP)
    c5, c6, c7 = st.columns([2, 2, 1])
    dates = c5.date_input(t("tr.dates"), value=[], key="tr_dates", persist_state=KEEP)
    text = c6.text_input(t("tr.search"), key="tr_text", persist_state=KEEP)
    mine = c7.checkbox(t("tr.mine"), key="tr_mine", persist_state=KEEP)
    return ts.make_filter(
        status=status,
        guardrail=guard,
        model=model.strip(),
        backend=backend,
        dates=dates if isinstance(dates, (list, tuple)) else (dates,),
        text=text,
        session=state.session_id() if mine else None,
    )


def _charts(records: list[TraceRecord], guardrails: list[str]) -> None:
    lat = ts.latency_summary(records)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("tr.requests"), len(records))
    m2.metric("p50", ts.fmt_ms(lat["p50"]))
    m3.metric("p95", ts.fmt_ms(lat["p95"]))
    m4.metric(t("tr.answered_share"), f"{sum(r.status == 'answered' for r in records) / max(1, len(records)):.0%}")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('tr.chart_fire')}**")
        fire = (
            alt.Chart(pd.DataFrame(ts.fire_rate(records, guardrails)))
            .mark_bar()
            .encode(
                x=alt.X("rate:Q", title=t("tr.rate"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                y=alt.Y("guardrail:N", title=None, sort="-x"),
                tooltip=["guardrail", "fired", alt.Tooltip("rate:Q", format=".0%")],
            )
        )
        st.altair_chart(fire, width="stretch")
    with right:
        st.markdown(f"**{t('tr.chart_status')}**")
        st.bar_chart(pd.DataFrame(ts.status_over_time(records)), x="period", y=list(ts.STATUSES), stack=True, height=260)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('tr.chart_latency')}**")
        st.bar_chart(pd.DataFrame(ts.latency_histogram(records)), x="latency_ms", y="count", sort=False, height=260)
        st.caption(t("tr.latency_caption", p50=ts.fmt_ms(lat["p50"]), p95=ts.fmt_ms(lat["p95"])))
    with right:
        st.markdown(f"**{t('tr.chart_calls')}**")
        st.bar_chart(
            pd.DataFrame(ts.calls_per_question(records)),
            x="trace",
            y=["llm_calls", "retries"],
            stack=False,
            sort=False,
            height=260,
        )
        st.caption(t("tr.calls_caption"))


def _detail(svc: GuardedRAG, records: list[TraceRecord]) -> None:
    ids = [r.trace_id for r in records]
    wanted = st.query_params.get("trace")
    # A trace link: select it once, and again when it is followed again from another page (the choice made here
    # was forgotten with the page: the newest trace was shown instead of the linked one).
    if wanted and (st.session_state.get("tr_wanted") != wanted or "tr_detail" not in st.session_state):
        st.session_state["tr_wanted"] = wanted
        linked = svc.traces.get(wanted)
        if linked is not None:
            st.session_state["tr_detail"] = st.session_state["tr_linked"] = linked.trace_id
        st.session_state["tr_unknown"] = None if linked is not None else wanted
    if wanted and st.session_state.get("tr_unknown") == wanted:  # said: the detail below is another trace
        st.warning(t("tr.missing", id=safe_md(wanted)))
    linked_id = st.session_state.get("tr_linked")
    if linked_id and linked_id not in ids:  # the linked trace stays selectable whatever the filters
        ids.insert(0, linked_id)
    if not ids:
        return
    labels = {r.trace_id: f"{r.trace_id[:8]} · {r.status} · {r.question[:60]}" for r in records}
    chosen = st.selectbox(t("tr.detail"), ids, format_func=lambda x: labels.get(x, x), key="tr_detail")
    record = svc.traces.get(chosen)
    if record is None:
        st.warning(t("tr.missing", id=safe_md(chosen)))
        return
    status_badge(record.status)
    st.markdown(f"**{t('tr.question')}** " + safe_md(record.question))
    answer, message = record.result.get("answer"), record.result.get("message")
    # A refusal or clarification: what happened in the user's language first, the verbatim message below it.
    stop = stopping_guardrail(record.status, message, record.result.get("guardrails"))
    found = headline(state.lang(), stop, status=record.status, markdown=True)
    if found:
        st.info(found, icon=":material/shield:")
    if answer or message:
        st.markdown(f"**{t('tr.answer' if answer else 'tr.message')}** " + safe_md(str(answer or message)))
    if record.fired:
        st.caption(t("tr.fired", names=safe_md(", ".join(record.fired))))
    # Every field may come from an imported trace file: all of it is escaped, none of it is markdown.
    meta = (safe_md(f"trace_id {record.trace_id}"), safe_md(record.backend), safe_md(record.model))
    st.caption(" · ".join((*meta, f"{record.latency_ms:.0f} ms")))
    render_timeline(record.events, key=f"trace-{record.trace_id}")
    why = not_replayable(record)
    st.caption(t("tr.replayable") if why is None else t("tr.not_replayable", why=safe_md(why)))
    render_label_form(svc, record)


def _full_jsonl(svc: GuardedRAG, records: list[TraceRecord]) -> str:
    """The JSONL export: the records past EVENT_LIMIT are summaries (no events, replay inputs or labels), which the
    export wrote as they were (and importing it back replaced the full traces); they are read whole here."""
    rest = [svc.traces.get(r.trace_id) or r for r in records[EVENT_LIMIT:]]
    return ts.to_jsonl([*records[:EVENT_LIMIT], *rest])


def _export_jsonl(svc: GuardedRAG, records: list[TraceRecord], column: DeltaGenerator) -> None:
    """The JSONL export's button: a click reads the traces (on this run of the page) and offers the file below it.
    It was a download Streamlit built after the click, outside the page's run: a store down or stuck then showed
    only "Failed to generate file for download" (and logged a traceback); now the page says what failed."""
    if not column.button(t("tr.export_jsonl"), icon=":material/download:", key="tr_export"):
        return
    try:
        with st.spinner(t("tr.exporting")):
            text = _full_jsonl(svc, records)
    except TraceStoreError as exc:  # the store is down or stuck: said under the table, the rest of the page stays
        st.error(t("tr.export_error", error=store_error(svc, exc)), icon=":material/error:")
        return
    column.download_button(
        t("tr.export_ready"),
        text,
        file_name="traces.jsonl",
        mime="application/x-ndjson",
        icon=":material/download:",
        on_click="ignore",  # the file is downloaded; the page need not run again
        key="tr_export_file",
    )


def _lab(svc: GuardedRAG, flt: TraceFilter) -> None:
    st.subheader(t("lab.title"))
    what_if, labels, sweep = st.tabs([t("wi.tab"), t("lb.tab"), t("sw.tab")])
    with what_if:
        render_what_if(svc, flt)
    with labels:
        render_quality(svc)
    with sweep:
        render_sweep(svc)


def _page(svc: GuardedRAG, flt: TraceFilter) -> tuple[list[TraceRecord], int, bool]:
    """The traces of the page chosen (newest first), its first row's number and whether older ones follow. Only
    the newest 500 were ever listed: with thousands stored, the older ones could not be seen, opened or exported.
    Another filter starts again at the first page."""
    if st.session_state.get("tr_page_filter") != flt:
        st.session_state["tr_page_filter"] = flt
        st.session_state[PAGE_KEY] = 1
    page = max(1, int(st.session_state.get(PAGE_KEY) or 1))
    first = (page - 1) * PAGE_SIZE
    found = svc.traces.list(flt.model_copy(update={"limit": min(first + PAGE_SIZE + 1, 100_000)}))
    if page > 1 and len(found) <= first:  # past the end (traces deleted meanwhile): the last page there is
        page = max(1, math.ceil(len(found) / PAGE_SIZE))
        st.session_state[PAGE_KEY] = page
        first = (page - 1) * PAGE_SIZE
    return found[first : first + PAGE_SIZE], first, len(found) > first + PAGE_SIZE


def _pager(first: int, more: bool) -> None:
    """The page number input, shown once there is more than one page."""
    if first or more:
        st.number_input(t("tr.page"), min_value=1, step=1, key=PAGE_KEY, help=t("tr.page_help", n=PAGE_SIZE), persist_state=KEEP)


def render(svc: GuardedRAG) -> None:
    st.title(t("tr.title"))
    st.info(t("tr.storewide"), icon=":material/public:")
    flt = _filters(svc)
    try:
        _render(svc, flt)
    except TraceStoreError as exc:  # a store that is down or stuck: what failed and what to do, the filters kept
        st.error(t("tr.store_error", error=store_error(svc, exc)), icon=":material/cloud_off:")


def _render(svc: GuardedRAG, flt: TraceFilter) -> None:
    """The page below its filters: everything that reads the trace store."""
    summaries, first, more = _page(svc, flt)
    records = [svc.traces.get(r.trace_id) or r for r in summaries[:EVENT_LIMIT]] + summaries[EVENT_LIMIT:]
    total = svc.traces.count()
    if first or more:
        st.caption(t("tr.shown_page", start=first + 1, end=first + len(records), total=total))
    else:
        st.caption(t("tr.shown", n=len(records), total=total))
    _pager(first, more)
    # Arrived from a trace link (chat, the lab): that trace first. Below the table, charts and policy lab it was
    # thousands of pixels down the page the link opened at its top.
    linked = bool(st.query_params.get("trace"))
    if linked:
        st.subheader(t("tr.detail_title"))
        _detail(svc, records)
    if not records:
        st.caption(t("tr.none"))
        return
    table(ts.table_rows(records))
    d1, d2, _ = st.columns([1, 1, 3])
    _export_jsonl(svc, records, d1)
    d2.download_button(
        t("tr.export_csv"), ts.to_csv(records), file_name="traces.csv", mime="text/csv", icon=":material/download:"
    )
    _charts(records, list(svc.policy.guardrails))
    _lab(svc, flt)
    if not linked:
        st.subheader(t("tr.detail_title"))
        _detail(svc, records)
