"""View layer: labels in the policy lab. Under a trace's timeline, mark one of its guardrail decisions (or the
whole outcome) right or wrong with a note; on the Traces page, per guardrail labelled precision and recall, and
the false-block list (benign requests a guardrail blocked, newest first: where over-blocking shows).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app import GuardedRAG, TraceFilter, TraceRecord, TraceStoreError, decisions_of, false_blocks, make_label, quality
from views import lab_rows
from views.i18n import t
from views.tables import table
from views.text import safe_md


def store_error(svc: GuardedRAG, exc: TraceStoreError) -> str:
    """A trace store's error for the page, as markdown: without the server's folders (a SQLite file's path)."""
    message = str(exc)
    with contextlib.suppress(Exception):  # the service is what failed: its message is shown as it is
        message = svc.hide_paths(message)
    return safe_md(message[:500])


def render_label_form(svc: GuardedRAG, record: TraceRecord) -> None:
    decisions = decisions_of(record)
    with st.form(f"label-{record.trace_id}"):
        st.markdown(f"**{t('lb.title')}**")
        c1, c2 = st.columns([3, 1])
        index = c1.selectbox(
            t("lb.decision"),
            range(len(decisions)),
            format_func=lambda i: lab_rows.decision_label(decisions[i]),
            key=f"lb-d-{record.trace_id}",
        )
        verdict = c2.radio(
            t("lb.verdict"),
            ["right", "wrong"],
            format_func=lambda v: t(f"lb.{v}"),
            horizontal=True,
            key=f"lb-v-{record.trace_id}",
        )
        note = st.text_input(t("lb.note"), max_chars=2000, key=f"lb-n-{record.trace_id}")
        saved = st.form_submit_button(t("lb.save"), icon=":material/label:")
    flash = st.session_state.pop("lb_flash", None)
    if flash:
        st.success(flash)
    if saved:
        chosen = decisions[index]
        label = make_label(record, chosen.target, correct=verdict == "right", attempt=chosen.attempt, note=note)
        try:
            stored = svc.traces.label(record.trace_id, label)
        except TraceStoreError as exc:  # the store is down or busy: the page stays, the form keeps what was chosen
            st.error(t("lb.save_error", error=store_error(svc, exc)), icon=":material/error:")
            stored = False
        if stored:
            st.session_state.pop(QUALITY_KEY, None)
            # rerun: the quality table and false-block list above this form include the new label at once
            st.session_state["lb_flash"] = t(
                "lb.saved", decision=safe_md(lab_rows.decision_label(chosen)), verdict=t(f"lb.{verdict}")
            )
            st.rerun()
    if record.labels:
        table(
            [
                {"decision": f"{lb.target} #{lb.attempt}: {lb.decision}", "right": lb.correct, "note": lb.note, "by": lb.source}
                for lb in record.labels
            ],
            key=f"lb-t-{record.trace_id}",
        )


QUALITY_KEY = "lb_quality_rows"  # this session's last reading of the labelled traces (a LabelQuality)
QUALITY_TTL_S = 60.0  # read again after this long (labels given elsewhere: another session, `guarded-rag eval`)


@dataclass(frozen=True)
class LabelQuality:
    """The Labels tab's tables, as read at `read_at` (time.monotonic)."""

    labelled: int
    quality: list[dict[str, Any]]
    false_blocks: list[dict[str, Any]]
    read_at: float


def _read_quality(svc: GuardedRAG) -> LabelQuality:
    labelled = svc.traces.list(TraceFilter(labelled=True, limit=100_000), full=True)
    rows = lab_rows.quality_rows(quality(labelled)) if labelled else []
    blocked = lab_rows.false_block_rows(false_blocks(labelled)) if labelled else []
    return LabelQuality(len(labelled), rows, blocked, time.monotonic())


def label_quality(svc: GuardedRAG, *, refresh: bool = False) -> LabelQuality:
    """The labelled traces' quality tables, read again only when asked (`refresh`), after QUALITY_TTL_S or after a
    label was saved here. Every labelled trace is read in full for them: with thousands labelled (an eval run labels
    each of its traces) that took seconds, on every click anywhere on the Traces page (its tabs all run)."""
    kept: LabelQuality | None = st.session_state.get(QUALITY_KEY)
    if refresh or kept is None or time.monotonic() - kept.read_at > QUALITY_TTL_S:
        kept = st.session_state[QUALITY_KEY] = _read_quality(svc)
    return kept


def render_quality(svc: GuardedRAG) -> None:
    refresh = st.button(t("lb.refresh"), icon=":material/refresh:", key="lb_refresh")
    try:
        found = label_quality(svc, refresh=refresh)
    except TraceStoreError as exc:  # the rest of the Traces page still shows
        st.warning(t("lb.read_error", error=store_error(svc, exc)), icon=":material/warning:")
        return
    if not found.labelled:
        st.caption(t("lb.none"))
        return
    st.caption(t("lb.quality_help", n=found.labelled))
    table(found.quality, key="lb_quality")
    st.markdown(f"**{t('lb.false_blocks')}**")
    if not found.false_blocks:
        st.caption(t("lb.no_false_blocks"))
        return
    table(
        found.false_blocks,
        column_config={"trace": st.column_config.LinkColumn(t("wi.trace"), display_text=lab_rows.LINK_TEXT)},
        key="lb_false_blocks",
    )
