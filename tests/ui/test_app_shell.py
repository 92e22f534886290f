"""The app shell: navigation, language toggle, per-session isolation and the error boundary."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import EMBEDDED, GOOD, ROOT, TIMEOUT, reply, texts


def test_app_starts_on_chat_with_every_page_registered(make_app):
    at, _, _ = make_app()
    assert not at.exception
    assert at.title[0].value == "Ask your documents"
    assert set(at.session_state["pages"]) >= {"chat", "traces", "documents", "settings", "experiments"}
    assert "Answering with the **embedded** model" in at.info[0].value


def test_language_toggle_switches_to_chinese(make_app):
    zh = reply("Ollama 默认监听 11434 端口。", "S1")
    at, _, _ = make_app(scripts={EMBEDDED: [zh] * 3})
    at.sidebar.radio[0].set_value("zh")
    at.run(timeout=TIMEOUT)
    assert at.title[0].value == "向你的文档提问"
    at.chat_input[0].set_value("Ollama 默认监听哪个端口？")
    at.run(timeout=TIMEOUT)
    body = texts(at)
    assert "已回答" in body or "兜底回答" in body
    assert "项检查通过" in body


def test_sessions_do_not_share_chat_or_options(make_app):
    at, svc, _ = make_app(scripts={EMBEDDED: [GOOD]})
    at.chat_input[0].set_value("Which port does Ollama listen on?")
    at.run(timeout=TIMEOUT)
    other = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    other.session_state["service"] = svc
    other.run(timeout=TIMEOUT)
    assert "messages" not in other.session_state or not other.session_state["messages"]
    assert other.session_state["session_id"] != at.session_state["session_id"]


def broken_page() -> None:
    import streamlit_app

    def render(svc):
        raise RuntimeError("kaput <b>bold</b>")

    streamlit_app.guarded(render)()


def test_page_errors_show_a_message_with_a_reference_not_a_traceback(tmp_path):
    from tests.fake_service import make_service

    svc, _ = make_service(tmp_path)
    at = AppTest.from_function(broken_page, default_timeout=TIMEOUT)
    at.session_state["service"] = svc
    at.run(timeout=TIMEOUT)
    assert not at.exception
    [error] = at.error
    assert "RuntimeError" in error.value and "Reference" in error.value
    assert "<b>" not in error.value


def test_experiments_page_renders(make_app):
    at, _, _ = make_app("experiments")
    assert not at.exception and not at.error


def test_a_misspelt_variable_is_a_warning_in_the_sidebar(make_app, monkeypatch):
    monkeypatch.setenv("GUARDED_RAG_TOPK", "8")
    at, _, _ = make_app()
    assert not at.exception
    (warning,) = at.sidebar.warning
    assert "GUARDED\\_RAG\\_TOPK is not a guarded\\-rag setting" in warning.value and "GUARDED\\_RAG\\_TOP\\_K" in warning.value
    monkeypatch.delenv("GUARDED_RAG_TOPK")
    assert not make_app()[0].sidebar.warning
