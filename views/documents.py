"""View layer: the Documents page — upload (checked, saved under <home>/uploads/), index with progress,
list with chunk counts and flags, delete and re-index. All work is done by GuardedRAG.ingest/delete.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from app import SUPPORTED_SUFFIXES, GuardedRAG, IndexBusyError
from views.i18n import t
from views.tables import table
from views.text import safe_md
from views.uploads import ALLOWED, check_upload, safe_filename, save_upload, unique_name, upload_path

REPORT_KEY = "doc_report"  # what the last action found, shown until the next one


def source_path(source: str, docs_dir: Path) -> Path:
    path = Path(source)
    return path if path.is_absolute() else docs_dir / source


def _ingest(svc: GuardedRAG, paths: Sequence[Path], *, rebuild: bool = False) -> Any:
    bar = st.progress(0.0, text=t("doc.indexing"))
    waiting = st.empty()

    def progress(p: Any) -> None:
        waiting.empty()
        bar.progress(p.fraction, text=safe_md(p.label[-100:]))  # a file name: never markdown

    def wait(message: str) -> None:  # another writer (a CLI ingest, another session) holds the index
        waiting.info(t("doc.waiting", message=safe_md(message)), icon=":material/hourglass:")

    try:
        return svc.ingest(list(paths), progress=progress, rebuild=rebuild, on_wait=wait)
    finally:
        bar.empty()
        waiting.empty()


def process_uploads(svc: GuardedRAG, files: Sequence[Any]) -> dict[str, Any]:
    """Check every upload, save the good ones, index them; returns the report shown on the page.

    Names are cleaned (views.uploads.safe_filename), so different uploads can clean to the same name: within
    one batch a later one gets a numbered name (a_b-2.md), and replacing an upload saved earlier is said."""
    max_bytes = int(svc.settings.max_file_mb * 1_048_576)
    rejected, notes, saved = [], [], []
    batch: list[str] = []
    for f in files:
        data = f.getvalue()
        problem = check_upload(f.name, data, max_bytes=max_bytes)
        if problem is not None:
            rejected.append(
                t(f"upload.{problem.kind}", name=safe_md(f.name), detail=safe_md(problem.detail), max=svc.settings.max_file_mb)
            )
            continue
        clean = safe_filename(f.name)
        final = unique_name(clean, batch)
        batch.append(final)
        if final != clean:
            notes.append(t("upload.renamed", name=safe_md(f.name), clash=safe_md(clean), saved=safe_md(final)))
        if upload_path(svc.settings.home, final).exists():
            notes.append(t("upload.replaced", name=safe_md(f.name), saved=safe_md(final)))
        saved.append(save_upload(svc.settings.home, f.name, data, filename=final))
    report = _ingest(svc, saved) if saved else None
    return {"rejected": rejected, "notes": notes, "report": report}


def _show_report(result: dict[str, Any]) -> None:
    for message in result.get("rejected", []):
        st.error(message, icon=":material/block:")
    for message in result.get("notes", []):
        st.warning(message, icon=":material/info:")
    report = result.get("report")
    if report is None:
        return
    st.success(
        t(
            "doc.report",
            added=len(report.added),
            updated=len(report.updated),
            unchanged=len(report.unchanged),
            removed=len(report.removed),
            chunks=report.chunks_added,
        )
    )
    for p in report.problems:
        st.error(t("doc.problem", source=safe_md(Path(p.source).name), kind=p.kind, message=safe_md(p.message)))
    for f in report.flagged:
        st.warning(t("doc.flagged", source=safe_md(Path(f.source).name), chunk=f.ordinal, reason=safe_md(f.reason)))
    if report.not_read:
        kinds = report.not_read_kinds()
        st.info(
            t("doc.not_read", n=sum(report.not_read.values()), kinds=safe_md(kinds), types=", ".join(sorted(SUPPORTED_SUFFIXES)))
        )


def _upload(svc: GuardedRAG) -> None:
    st.subheader(t("doc.upload"))
    st.caption(t("doc.limits", types=", ".join(ALLOWED), max=svc.settings.max_file_mb))
    n = st.session_state.setdefault("uploader_n", 0)
    # No `type=` filter on purpose: a wrong type gets our own clear message (and is checked here, not trusted).
    limit = max(1, math.ceil(svc.settings.max_file_mb))
    files = st.file_uploader(t("doc.choose"), accept_multiple_files=True, key=f"uploader-{n}", max_upload_size=limit)
    if st.button(t("doc.index_uploads"), disabled=not files, icon=":material/upload:"):
        _write(lambda: process_uploads(svc, files or []))
        st.session_state["uploader_n"] = n + 1  # a fresh uploader: the same files are not indexed twice


def _write(action: Callable[[], dict[str, Any]]) -> bool:
    """Run an index write; True when done. Another writer holding the index past the lock timeout is a
    message on the page, not a page error."""
    try:
        st.session_state[REPORT_KEY] = action()
    except IndexBusyError as exc:
        st.session_state[REPORT_KEY] = {"rejected": [t("doc.busy", message=safe_md(str(exc)))]}
        return False
    return True


def _manage(svc: GuardedRAG, sources: list[str]) -> None:
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = c1.selectbox(t("doc.pick"), sources, key="doc_pick")
    if c2.button(t("doc.reindex_one"), icon=":material/refresh:", disabled=not chosen):
        _write(lambda: {"report": _ingest(svc, [source_path(chosen, svc.settings.docs_dir)])})
        st.rerun()
    if c3.button(t("doc.delete"), icon=":material/delete:", disabled=not chosen, type="primary"):
        removed: list[int] = []

        def delete() -> dict[str, Any]:
            removed.append(svc.delete_document(chosen))
            return {}

        if _write(delete):
            st.toast(t("doc.deleted", source=safe_md(chosen), n=removed[0]) + " " + _forget_file(svc, chosen))
        st.rerun()


def _forget_file(svc: GuardedRAG, source: str) -> str:
    """After a delete: remove the saved upload behind `source` (else Re-index all would bring it back); a file
    of the user's own docs folder is never touched, and the message says a re-index will add it back."""
    path = source_path(source, svc.settings.docs_dir).resolve()
    uploads = (svc.settings.home / "uploads").resolve()
    docs = svc.settings.docs_dir.resolve()
    if path.parent == uploads and not path.is_relative_to(docs):
        path.unlink(missing_ok=True)
        return t("doc.upload_removed", name=safe_md(path.name))
    return t("doc.file_kept", name=safe_md(source)) if path.exists() else ""


def _health(svc: GuardedRAG) -> None:
    """The same integrity verdict as `guarded-rag doctor` (cached until the index changes)."""
    found = svc.index_integrity(sample=20, cached=True)
    if not found.ok:
        st.error(t("doc.corrupt", summary=safe_md(found.summary), fix=found.fix or ""), icon=":material/warning:")
    elif found.degraded:
        st.warning(t("doc.degraded", summary=safe_md(found.summary), fix=found.fix or ""), icon=":material/warning:")


def render(svc: GuardedRAG) -> None:
    st.title(t("doc.title"))
    _health(svc)
    _upload(svc)
    _show_report(st.session_state.get(REPORT_KEY) or {})
    st.subheader(t("doc.indexed"))
    docs = svc.documents()
    if not docs:
        st.info(t("doc.none"))
    else:
        rows = [
            {
                "source": d.source,
                "chunks": d.chunks,
                "indexed_at": d.indexed_at,
                "flags": ", ".join(d.flags),
                "flagged_chunks": d.flagged_chunks,
            }
            for d in docs
        ]
        table(rows)
        for d in (d for d in docs if d.flags or d.flagged_chunks):
            st.warning(t("doc.flag_row", source=safe_md(d.source), flags=safe_md(", ".join(d.flags) or "?"), n=d.flagged_chunks))
        _manage(svc, [d.source for d in docs])
    rebuild = st.checkbox(t("doc.rebuild"), key="doc_rebuild")
    if st.button(t("doc.reindex_all"), icon=":material/sync:"):
        _write(lambda: {"report": _reindex_all(svc, rebuild=rebuild)})
        st.rerun()


def _reindex_all(svc: GuardedRAG, *, rebuild: bool) -> Any:
    uploads = svc.settings.home / "uploads"
    report = _ingest(svc, [svc.settings.docs_dir], rebuild=rebuild)
    if uploads.is_dir() and any(uploads.iterdir()):
        report = _merge(report, _ingest(svc, [uploads]))
    return report


def _merge(a: Any, b: Any) -> Any:
    fields = ("added", "updated", "unchanged", "removed", "problems", "flagged")
    not_read = {k: a.not_read.get(k, 0) + b.not_read.get(k, 0) for k in sorted({*a.not_read, *b.not_read})}
    merged = {f: tuple(getattr(a, f)) + tuple(getattr(b, f)) for f in fields}
    merged["removed"] = tuple(s for s in merged["removed"] if s not in b.added)  # a rebuild's uploads come back
    return a.model_copy(update=merged | {"chunks_added": a.chunks_added + b.chunks_added, "not_read": not_read})
