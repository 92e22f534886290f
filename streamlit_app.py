"""guarded-rag's Streamlit front end: navigation, language and the error boundary around every page.

Thin view layer: pages (views/) render what app's GuardedRAG API returns; no LangChain or Chroma here.
Run with `make run` (or `streamlit run streamlit_app.py`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import streamlit as st

from app import GuardedRAG, unknown_variables
from views import chat, documents, experiments, settings, state, traces
from views.i18n import LANGUAGES, language_from_locale, t
from views.text import error_text, safe_md

log = logging.getLogger("guarded_rag.ui")


def guarded(render: Callable[..., None]) -> Callable[[], None]:
    """A page that shows a message and a reference id instead of a traceback when it fails."""

    def page() -> None:
        svc: GuardedRAG | None = None
        try:
            svc = state.service()
            render(svc)
        except Exception as exc:
            ref = uuid.uuid4().hex[:8]
            log.exception("page error (ref %s)", ref)
            said = error_text(exc, hide=svc.hide_paths if svc is not None else None)  # an OSError names a server file
            st.error(t("page_error", ref=ref, error=safe_md(said)), icon=":material/error:")

    page.__name__ = f"page_{render.__module__.rsplit('.', 1)[-1]}"
    return page


def sidebar() -> None:
    if "lang" not in st.session_state:
        st.session_state["lang"] = language_from_locale(getattr(st.context, "locale", None))
    st.sidebar.radio(t("app.lang"), list(LANGUAGES), format_func=LANGUAGES.__getitem__, key="lang", horizontal=True)
    st.sidebar.caption(t("app.session", id=state.session_id()[:8]))
    for message in unknown_variables():  # a misspelt GUARDED_RAG_* variable: the setting meant is not applied
        st.sidebar.warning(safe_md(message), icon=":material/warning:")


def main() -> None:
    st.set_page_config(page_title="guarded-rag", page_icon="🛡️", layout="wide")
    sidebar()
    pages = {
        # The default page is always served at "/" (Streamlit ignores its url_path), so /chat, the natural deep link,
        # was "Page not found": a hidden page serves the same chat there (not listed twice in the navigation).
        "chat": st.Page(guarded(chat.render), title=t("page.chat"), icon=":material/chat:", url_path="", default=True),
        "chat_path": st.Page(
            guarded(chat.render), title=t("page.chat"), icon=":material/chat:", url_path="chat", visibility="hidden"
        ),
        "traces": st.Page(guarded(traces.render), title=t("page.traces"), icon=":material/timeline:", url_path="traces"),
        "documents": st.Page(
            guarded(documents.render), title=t("page.documents"), icon=":material/description:", url_path="documents"
        ),
        "settings": st.Page(guarded(settings.render), title=t("page.settings"), icon=":material/tune:", url_path="settings"),
        "experiments": st.Page(
            guarded(experiments.render), title=t("page.experiments"), icon=":material/science:", url_path="experiments"
        ),
    }
    st.session_state["pages"] = pages  # for trace links (st.page_link needs the Page object)
    st.navigation(list(pages.values())).run()


if __name__ == "__main__":  # streamlit runs this file as __main__; tests import its pieces
    main()
