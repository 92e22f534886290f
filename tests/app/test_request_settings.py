"""AskOptions.settings (the UI's per-session Settings page, `serve`'s sampling options): a request either runs with
the settings it gives or is refused naming the ones it cannot change; none is silently ignored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.contract import AskOptions
from app.serve.exchange import CLIENT_OPTIONS
from app.settings import REQUEST_FIELDS, Settings, SettingsError
from tests.fake_service import make_service
from views.options import SETTING_FIELDS

Q = "Which port does Ollama listen on by default?"
GOOD = json.dumps({"citations": ["S1"], "answer": "Ollama listens on port 11434 by default."})
VECTOR = AskOptions(settings={"retrieval": "vector"})
HYBRID = AskOptions(settings={"retrieval": "hybrid"})


def _found(chunks: object) -> list[dict[str, object]]:
    return [c.model_dump() for c in chunks]  # type: ignore[attr-defined]


def test_the_retrieval_mode_of_a_request_is_the_one_it_asks_for(tmp_path: Path) -> None:
    """The index was built once from the service's settings, so `retrieval` per request searched as the service
    did: a vector-only session got the BM25-fused ranking (each chunk's `lexical` score says which ran)."""
    hybrid, _ = make_service(tmp_path / "h")
    vector, _ = make_service(tmp_path / "v", retrieval="vector")
    by_vector, by_hybrid = _found(vector.retrieval_context(Q).chunks), _found(hybrid.retrieval_context(Q).chunks)
    assert by_vector != by_hybrid and all(c["lexical"] is None for c in by_vector)
    assert _found(hybrid.retrieval_context(Q, options=VECTOR).chunks) == by_vector
    assert _found(vector.retrieval_context(Q, options=HYBRID).chunks) == by_hybrid
    assert _found(hybrid.screen_retrieval(Q, options=VECTOR).retrieved) == by_vector  # ask()'s pipeline, no model
    assert _found(vector.screen_retrieval(Q, options=HYBRID).retrieved) == by_hybrid


def test_ask_retrieves_in_the_requests_mode(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, scripts={"smollm2:135m": [GOOD, GOOD]})
    assert all(c.lexical is not None for c in svc.ask(Q).retrieved)
    vector = svc.ask(Q, options=VECTOR)
    assert vector.status == "answered" and vector.retrieved and all(c.lexical is None for c in vector.retrieved)


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("index_timeout", 5.0, "index_timeout"),
        ("redact_questions", True, "redact_questions"),
        ("trace_inputs_kb", 0, "trace_inputs_kb"),
        ("trace_db", "elsewhere.sqlite3", "trace_store"),  # the TOML name of a setting is refused under its field's
        ("collection", "other", "collection"),
        ("embedder", "ollama", "embedder"),
        ("home", "elsewhere", "home"),
        ("policy", "strict.toml", "policy"),
        ("gguf", "other.gguf", "gguf"),
        ("threads", 8, "threads"),
        ("breaker_failures", 9, "breaker_failures"),
        ("chroma_url", "http://127.0.0.1:8000", "chroma_url"),
        ("max_inflight", 8, "max_inflight"),
    ],
)
def test_a_setting_the_service_built_its_parts_from_is_refused_by_name(
    tmp_path: Path, key: str, value: object, field: str
) -> None:
    """These configure parts built once (index, trace store and recorder, embedded engine, breakers, server): the
    request ran with the service's value while the caller believed it changed (redaction off for "redacted" ones)."""
    svc, _ = make_service(tmp_path)  # an empty script: a request that reached the model would fail the test
    options = AskOptions(settings={key: value})
    with pytest.raises(SettingsError, match=rf"{field} cannot be changed per request: set GUARDED_RAG_\w+ \(or {field} "):
        svc.effective(options)
    with pytest.raises(SettingsError, match=field):
        svc.screen(Q, options=options)
    r = svc.ask(Q, options=options)
    assert r.status == "error" and r.llm_calls == 0 and f"{field} cannot be changed per request" in (r.message or "")


def test_every_field_refused_is_named_and_the_services_own_value_is_accepted(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    with pytest.raises(SettingsError) as info:
        svc.effective(AskOptions(settings={"index_timeout": 5.0, "redact_questions": True, "top_k": 2}))
    assert "index_timeout cannot" in str(info.value) and "redact_questions cannot" in str(info.value)
    assert "top_k" not in str(info.value)
    same = AskOptions(settings={"index_timeout": svc.settings.index_timeout, "home": str(svc.settings.home), "top_k": 2})
    assert svc.effective(same)[0].top_k == 2  # nothing changes but what a request may change


def test_a_bad_value_is_reported_as_before() -> None:
    with pytest.raises(ValueError, match="temperature"):
        Settings().for_request({"temperature": 9})
    with pytest.raises(ValueError, match="Extra inputs"):
        Settings().for_request({"no_such_setting": 1})


def test_what_the_ui_server_and_cli_send_is_accepted() -> None:
    """The sidebar's fields, `serve`'s sampling options and `ask --backend` all stay per-request settings."""
    assert set(SETTING_FIELDS) | set(CLIENT_OPTIONS) | {"backend"} <= REQUEST_FIELDS <= set(Settings.model_fields)
