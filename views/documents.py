"""View layer: the Documents page — upload (checked, saved under <home>/uploads/), index with progress,
list with chunk counts and flags, delete and re-index. All work is done by GuardedRAG.ingest/delete.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from app import SUPPORTED_SUFFIXES, GuardedRAG, IndexBusyError, IndexUnavailableError
from views.i18n import t
from views.tables import table
from views.text import safe_md
from views.uploads import ALLOWED, check_upload, safe_filename, save_upload, upload_filename, upload_path

REPORT_KEY = "doc_report"  # what the last action found, shown until the next one
CONFIRM_KEY = "doc_delete_pending"  # the document whose Delete was clicked, waiting for Confirm or Cancel
CLICK_KEY = "doc_clicked"  # (action, source): a document button clicked, for the document it was drawn for


def source_path(source: str, docs_dir: Path) -> Path:
    path = Path(source)
    return path if path.is_absolute() else docs_dir / source


def _ingest(svc: GuardedRAG, paths: Sequence[Path], *, rebuild: bool = False, uploads: bool = False) -> Any:
    """Index `paths` with a progress bar. `uploads`: they are saved uploads (GuardedRAG.ingest_uploads: the ones
    that cannot be indexed are removed again); returns its UploadIngest then, else the IngestReport."""
    bar = st.progress(0.0, text=t("doc.indexing"))
    waiting = st.empty()

    def progress(p: Any) -> None:
        waiting.empty()
        shown = p.model_copy(update={"current": svc.source_label(p.current)}) if p.current else p
        bar.progress(p.fraction, text=safe_md(shown.label[-100:]))  # a file name: never markdown, never a server path

    def wait(message: str) -> None:  # another writer (a CLI ingest, another session) holds the index
        waiting.info(t("doc.waiting", message=safe_md(svc.hide_paths(message))), icon=":material/hourglass:")

    try:
        if uploads:
            return svc.ingest_uploads(list(paths), progress=progress, on_wait=wait)
        return svc.ingest(list(paths), progress=progress, rebuild=rebuild, on_wait=wait)
    finally:
        bar.empty()
        waiting.empty()


def process_uploads(svc: GuardedRAG, files: Sequence[Any]) -> dict[str, Any]:
    """Check every upload, save the good ones, index them; returns the report shown on the page. A saved upload
    the ingest cannot read (an unknown encoding, a PDF without text…) is a problem on the page and its file is
    removed again (GuardedRAG.ingest_uploads), so Re-index all does not bring it back.

    Names are cleaned (views.uploads.safe_filename), so different uploads can clean to the same name: within
    one batch a later one gets a numbered name (a_b-2.md), and so does one clashing with an earlier upload of
    another name; the same name uploaded again replaces its earlier upload (a new version), and that is said."""
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
        final = upload_filename(svc.settings.home, f.name, batch)
        batch.append(final)
        if final != clean:  # another file of this batch, or an earlier upload of another name, has the clean name
            key = "upload.renamed" if clean.casefold() in {n.casefold() for n in batch[:-1]} else "upload.renamed_earlier"
            notes.append(t(key, name=safe_md(f.name), clash=safe_md(clean), saved=safe_md(final)))
        if upload_path(svc.settings.home, final).exists():
            notes.append(t("upload.replaced", name=safe_md(f.name), saved=safe_md(final)))
        saved.append(save_upload(svc.settings.home, f.name, data, filename=final))
    try:
        done = _ingest(svc, saved, uploads=True) if saved else None
    except IndexBusyError as exc:  # the batch's other messages stay, and the saved files are said to be kept
        busy = t("doc.busy", message=safe_md(svc.hide_paths(str(exc))))
        kept = t("upload.saved_not_indexed", names=", ".join(safe_md(p.name) for p in saved))
        return {"rejected": [*rejected, busy + " " + kept], "notes": notes, "report": None, "discarded": ()}
    report, discarded = (done.report, done.discarded) if done is not None else (None, ())
    return {"rejected": rejected, "notes": notes, "report": report, "discarded": discarded}


def _show_report(svc: GuardedRAG, result: dict[str, Any]) -> None:
    """The last action's report. Green only when every file was read: a file that was not is an error (and the
    summary a warning), an upload that was removed again for it says so."""
    for message in result.get("rejected", []):
        st.error(message, icon=":material/block:")
    for message in result.get("notes", []):
        st.warning(message, icon=":material/info:")
    report = result.get("report")
    if report is None:
        return
    summary = t(
        "doc.report",
        added=len(report.added),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        removed=len(report.removed),
        chunks=report.chunks_added,
    )
    (st.warning if report.problems else st.success)(summary)
    discarded = set(result.get("discarded", ()))
    for p in report.problems:
        name = safe_md(svc.source_label(p.source))
        message = t("doc.problem", source=name, kind=p.kind, message=safe_md(svc.hide_paths(p.message)))
        st.error(message + (" " + t("doc.upload_discarded") if p.source in discarded else ""), icon=":material/error:")
    for f in report.flagged:
        st.warning(t("doc.flagged", source=safe_md(svc.source_label(f.source)), chunk=f.ordinal, reason=safe_md(f.reason)))
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
        _write(svc, lambda: process_uploads(svc, files or []))
        st.session_state["uploader_n"] = n + 1  # a fresh uploader: the same files are not indexed twice
        # Draw it now: the old uploader would go on listing the indexed files (and a file chosen in it next would
        # vanish on the rerun that swaps it); the report is in session_state and shows after the rerun.
        st.rerun()


def _write(svc: GuardedRAG, action: Callable[[], dict[str, Any]]) -> bool:
    """Run an index write; True when done. Another writer holding the index past the lock timeout is a
    message on the page, not a page error."""
    try:
        st.session_state[REPORT_KEY] = action()
    except IndexBusyError as exc:
        st.session_state[REPORT_KEY] = {"rejected": [t("doc.busy", message=safe_md(svc.hide_paths(str(exc))))]}
        return False
    return True


def _clicked(action: str, source: str) -> None:
    """A document button's on_click: remembers the action and the document the user had picked when clicking.
    It runs before the page is drawn again, so another session deleting that document cannot turn the click onto
    whichever document the list shows first then. `source`: the one the button was drawn for (Confirm, Cancel)."""
    picked = st.session_state.get("doc_pick") if action in ("reindex", "delete") else None
    st.session_state[CLICK_KEY] = (action, picked or source)


def _act(svc: GuardedRAG, docs: Sequence[Any]) -> None:
    """Carry out the document button clicked on the last run, on the document it named. One that is no longer in
    the index (another session or process deleted it meanwhile) is said, not replaced by whatever is listed first."""
    clicked = st.session_state.pop(CLICK_KEY, None)
    if clicked is None:
        return
    action, source = clicked
    if action == "cancel":
        st.session_state.pop(CONFIRM_KEY, None)
        return
    found = next((d for d in docs if d.source == source), None)
    if found is None:
        st.session_state.pop(CONFIRM_KEY, None)
        st.session_state[REPORT_KEY] = {"rejected": [t("doc.gone", name=safe_md(svc.source_label(source)))]}
        return
    if action == "delete":
        st.session_state[CONFIRM_KEY] = source
    elif action == "reindex":
        _write(svc, lambda: _reindex_one(svc, source))
        st.rerun()
    elif action == "confirm":
        st.session_state.pop(CONFIRM_KEY, None)
        done: list[Any] = []

        def delete() -> dict[str, Any]:
            done.append(svc.forget_document(source))  # the index, and the saved upload behind it (never a docs file)
            return {}

        if _write(svc, delete):
            st.toast(_deleted_message(done[0]))
        st.rerun()


def _manage(svc: GuardedRAG, docs: Sequence[Any]) -> None:
    sources = [d.source for d in docs]
    if "doc_pick" not in st.session_state:  # the page was just opened: a Delete left unanswered on a past visit is
        st.session_state.pop(CONFIRM_KEY, None)  # forgotten (it asked again, unprompted, for the first document)
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = c1.selectbox(t("doc.pick"), sources, key="doc_pick", format_func=svc.source_label)
    # Delete asks first: the first click only names what would go; Confirm deletes, Cancel (or picking another
    # document) forgets the request. Each button acts on the document it was drawn for (_clicked, _act).
    c2.button(t("doc.reindex_one"), icon=":material/refresh:", disabled=not chosen, on_click=_clicked, args=("reindex", chosen))
    c3.button(
        t("doc.delete"), icon=":material/delete:", disabled=not chosen, type="primary", on_click=_clicked, args=("delete", chosen)
    )
    pending = st.session_state.get(CONFIRM_KEY)
    if pending is None:
        return
    if pending != chosen or pending not in sources:
        st.session_state.pop(CONFIRM_KEY, None)
        return
    _confirm_delete(svc, pending, chunks=next(d.chunks for d in docs if d.source == pending))


def _confirm_delete(svc: GuardedRAG, source: str, *, chunks: int) -> None:
    """What a delete would remove, with Confirm and Cancel; only Confirm deletes (on the next run, by _act)."""
    name = safe_md(svc.source_label(source))
    upload = svc.uploads().file_of(source) is not None  # its saved file goes too; a docs folder file stays
    st.warning(
        t("doc.confirm_delete", name=name, n=chunks) + " " + t("doc.confirm_upload" if upload else "doc.confirm_docs_file"),
        icon=":material/warning:",
    )
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button(
        t("doc.confirm"),
        key="doc_delete_confirm",
        icon=":material/delete_forever:",
        type="primary",
        on_click=_clicked,
        args=("confirm", source),
    )
    b2.button(t("doc.cancel"), key="doc_delete_cancel", icon=":material/close:", on_click=_clicked, args=("cancel", source))


def _reindex_one(svc: GuardedRAG, source: str) -> dict[str, Any]:
    """One document again; an upload that cannot be read any more is removed, as at upload."""
    upload = svc.uploads().file_of(source)
    if upload is None:
        return {"report": _ingest(svc, [source_path(source, svc.settings.docs_dir)])}
    done = _ingest(svc, [upload], uploads=True)
    return {"report": done.report, "discarded": done.discarded}


def _deleted_message(removal: Any) -> str:
    """What a delete did (a DocumentRemoval): the chunks, and the saved upload removed or the docs file kept."""
    name = safe_md(removal.label)
    said = t("doc.deleted", source=name, n=removal.chunks)
    if removal.file == "removed":
        return said + " " + t("doc.upload_removed", name=name)
    if removal.file == "kept":
        return said + " " + t("doc.file_kept", name=name)
    return said


def _health(svc: GuardedRAG) -> None:
    """The same integrity verdict as `guarded-rag doctor` (cached until the index changes)."""
    try:
        found = svc.index_integrity(sample=20, cached=True)
    except IndexUnavailableError:  # the index cannot be opened at all: the document list says why (render)
        return
    # The verdict quotes the reader's error (a PermissionError names the index file): never a server path.
    summary, fix = safe_md(svc.hide_paths(found.summary)), found.fix or ""  # fix: a command, in a code span
    if not found.ok:
        st.error(t("doc.corrupt", summary=summary, fix=fix), icon=":material/warning:")
    elif found.degraded:
        st.warning(t("doc.degraded", summary=summary, fix=fix), icon=":material/warning:")


def render(svc: GuardedRAG) -> None:
    st.title(t("doc.title"))
    _health(svc)
    _upload(svc)
    docs, unreadable = _documents(svc)
    _act(svc, docs)  # before the report: a click on a document deleted meanwhile is said there
    _show_report(svc, st.session_state.get(REPORT_KEY) or {})
    st.subheader(t("doc.indexed"))
    rebuilding = svc.index_rebuilding()
    if rebuilding is not None:  # the list is what the rebuild has put back so far; empty is "not yet", not "none"
        st.info(t("doc.rebuilding", holder=safe_md(svc.hide_paths(rebuilding))), icon=":material/hourglass:")
    elif unreadable is not None:  # the repair controls below are still drawn: they are the way out
        st.error(t("doc.unavailable", reason=safe_md(svc.hide_paths(unreadable))), icon=":material/error:")
    elif not docs:
        st.info(t("doc.none"))
    if docs:
        rows = [
            {
                "source": svc.source_label(d.source),  # relative to the docs or uploads folder, never a server path
                "chunks": d.chunks,
                "indexed_at": d.indexed_at,
                "flags": ", ".join(d.flags),
                "flagged_chunks": d.flagged_chunks,
            }
            for d in docs
        ]
        table(rows)
        for d in (d for d in docs if d.flags or d.flagged_chunks):
            flags = safe_md(", ".join(d.flags) or "?")
            st.warning(t("doc.flag_row", source=safe_md(svc.source_label(d.source)), flags=flags, n=d.flagged_chunks))
        _manage(svc, docs)
    rebuild = st.checkbox(t("doc.rebuild"), key="doc_rebuild")
    if st.button(t("doc.reindex_all"), icon=":material/sync:"):
        _write(svc, lambda: _reindex_all(svc, rebuild=rebuild))
        st.rerun()


def _documents(svc: GuardedRAG) -> tuple[Sequence[Any], str | None]:
    """The indexed documents, or none and why when the index cannot be read (damaged, its folder a file…)."""
    try:
        return svc.documents(), None
    except IndexUnavailableError as exc:
        return (), str(exc)


def _reindex_all(svc: GuardedRAG, *, rebuild: bool) -> dict[str, Any]:
    """The docs folder, then the uploads folder (uploads that cannot be indexed are removed, as at upload)."""
    uploads = svc.uploads().path
    report = _ingest(svc, [svc.settings.docs_dir], rebuild=rebuild)
    discarded: tuple[str, ...] = ()
    if uploads.is_dir() and any(uploads.iterdir()):
        done = _ingest(svc, [uploads], uploads=True)
        report, discarded = _merge(report, done.report), done.discarded
    return {"report": report, "discarded": discarded}


def _merge(a: Any, b: Any) -> Any:
    fields = ("added", "updated", "unchanged", "removed", "problems", "flagged")
    not_read = {k: a.not_read.get(k, 0) + b.not_read.get(k, 0) for k in sorted({*a.not_read, *b.not_read})}
    merged = {f: tuple(getattr(a, f)) + tuple(getattr(b, f)) for f in fields}
    merged["removed"] = tuple(s for s in merged["removed"] if s not in b.added)  # a rebuild's uploads come back
    return a.model_copy(update=merged | {"chunks_added": a.chunks_added + b.chunks_added, "not_read": not_read})
