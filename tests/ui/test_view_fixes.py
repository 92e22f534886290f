"""Regressions found by exploratory UI testing: upload name clashes, sweep size, markdown in file names and
imported trace fields, the CSV formula guard, guardrail descriptions, and deleting an uploaded document."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from app import IngestProgress
from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, texts
from tests.ui.test_documents_page import delete, upload
from views import documents, trace_stats, what_if
from views.i18n import translate


def plain(text: str) -> str:
    return text.replace("\\", "").replace("\u200b", "")  # escapes and the autolink breaker


def notices(at: AppTest) -> str:
    return plain("\n".join(w.value for w in at.warning))


# 1. Uploads whose names clean to the same name


def test_clashing_names_in_one_batch_are_all_kept_and_said(make_app):
    at, svc, _ = make_app("documents")
    upload(
        at,
        ("a b.md", b"# A\n\nAlpha document about the walrus festival.", "text/markdown"),
        ("a_b.md", b"# B\n\nBeta document about the penguin parade.", "text/markdown"),
        ("a<b.md", b"# C\n\nGamma document about the heron gala.", "text/markdown"),
    )
    assert not at.exception
    folder = svc.settings.home / "uploads"
    saved = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(saved) == ["a_b-2.md", "a_b-3.md", "a_b.md"]
    assert b"walrus" in saved["a_b.md"] and b"penguin" in saved["a_b-2.md"] and b"heron" in saved["a_b-3.md"]
    said = notices(at)
    assert "saved as a_b-2.md" in said and "saved as a_b-3.md" in said
    assert "replaced" not in said


def test_names_cleaning_to_the_fallback_do_not_overwrite(make_app):
    at, svc, _ = make_app("documents")
    upload(at, ("...md", b"# Dots\n\ndots doc", "text/markdown"), ("<>.md", b"# Sym\n\nsymbols doc", "text/markdown"))
    assert not at.exception
    assert sorted(p.name for p in (svc.settings.home / "uploads").iterdir()) == ["upload-2.md", "upload.md"]
    assert "saved as upload-2.md" in notices(at)


def test_replacing_an_earlier_upload_is_said(make_app):
    at, svc, _ = make_app("documents")
    upload(at, ("a_b.md", b"# First\n\nThe first version about otters.", "text/markdown"))
    assert "replaced" not in notices(at)
    at.run(timeout=TIMEOUT)  # the page shows the fresh uploader (a new key) after an upload
    upload(at, ("a_b.md", b"# Second\n\nThe second version about beavers.", "text/markdown"))  # the same name
    assert not at.exception
    assert "replaced the earlier upload a_b.md" in notices(at)
    assert b"beavers" in (svc.settings.home / "uploads" / "a_b.md").read_bytes()


# 2. A sweep range is counted before anything is built


def test_point_count_is_arithmetic():
    assert what_if.point_count(0.0, 1_000_000.0, 0.001) == 1_000_000_001
    assert what_if.point_count(0.1, 0.5, 0.05) == 9
    assert what_if.point_count(0.5, 0.1, 0.05) == 0
    with pytest.raises(ValueError):
        what_if.point_count(0.0, 1.0, 0.0)


def test_param_bounds_come_from_the_guardrail():
    assert what_if.param_bounds("relevance", "min_hybrid") == (0.0, 2.0)
    assert what_if.param_bounds("completeness", "min_content_words") == (1.0, None)
    assert what_if.param_bounds("nope", "x") == (None, None)


def test_a_huge_sweep_is_refused_before_any_list_is_built(make_app, monkeypatch):
    called: list[int] = []
    monkeypatch.setattr(what_if, "sweep", lambda cases, policy, g, p, values, target: called.append(len(values)))
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")  # the lab shows once there are traces
    at.run(timeout=TIMEOUT)
    param = "completeness.min_content_words"  # no upper bound: the cap is what stops it
    at.selectbox(key="sw_param").set_value(param)
    at.run(timeout=TIMEOUT)
    at.number_input(key=f"sw_start_{param}").set_value(1.0)
    at.number_input(key=f"sw_stop_{param}").set_value(1001.0)
    at.number_input(key=f"sw_step_{param}").set_value(0.001)
    next(b for b in at.button if b.label == "Sweep").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert called == []
    assert any("at most 201" in plain(e.value) for e in at.error)


def test_sweep_inputs_carry_the_parameter_bounds(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    at.run(timeout=TIMEOUT)
    stop = at.number_input(key="sw_stop_relevance.min_hybrid")
    assert (stop.min, stop.max) == (0.0, 2.0)


# 3. The progress label (a file name) is not markdown


def test_progress_label_is_escaped(monkeypatch):
    shown: list[str] = []

    class Bar:
        def progress(self, fraction: float, text: str = "") -> None:
            shown.append(text)

        def empty(self) -> None:
            pass

    fake_st = SimpleNamespace(progress=lambda *a, **k: Bar(), empty=Bar)
    monkeypatch.setattr(documents, "st", fake_st)
    monkeypatch.setattr(documents, "t", lambda key, **_: key)

    def ingest(paths: Any, *, progress: Any, **_: Any) -> str:
        progress(IngestProgress(done=0, total=1, current="/srv/home/uploads/![x](https:127.0.0.1:8598).md", stage="load"))
        return "done"

    svc = SimpleNamespace(ingest=ingest, source_label=lambda source: "uploads/" + source.rsplit("/", 1)[-1])
    assert documents._ingest(svc, []) == "done"
    assert shown and "![x](" not in shown[-1]
    assert plain(shown[-1]) == "load uploads/![x](https:127.0.0.1:8598).md"  # the label, not the server path


# 4. Imported trace fields are not markdown


EVIL = "![x](https://127.0.0.1:8598/x.png)"


def test_trace_detail_caption_escapes_every_field(make_app, monkeypatch):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD]}, run=False)
    svc.ask("Which port does Ollama listen on?")
    real_get = svc.traces.get

    def get(trace_id: str) -> Any:
        record = real_get(trace_id)
        return record and record.model_copy(update={"backend": EVIL, "model": EVIL})

    monkeypatch.setattr(svc.traces, "get", get)
    at.run(timeout=TIMEOUT)
    assert not at.exception
    meta = next(c.value for c in at.caption if "trace_id" in plain(c.value))
    assert "![" not in meta and "](" not in meta
    assert plain(meta).count(EVIL) == 2


def _render_one(resp):  # AppTest runs this function's source alone: no names from this module, so no annotations
    from views.components import render_response

    render_response(resp, key="one", source_label=str)


def test_response_meta_escapes_the_backend(make_app):
    _at, svc, _ = make_app(None, scripts={EMBEDDED: [GOOD]}, run=False)
    resp = svc.ask("Which port does Ollama listen on?").model_copy(update={"backend": EVIL})
    at = AppTest.from_function(_render_one, args=(resp,), default_timeout=TIMEOUT)
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert "![" not in texts(at)
    assert EVIL in plain(texts(at))


# 5. The CSV formula guard


def test_csv_guard_quotes_only_formula_starts(monkeypatch):
    row = {"trace_id": "", "a": "=1+1", "b": "\tx", "c": "\rx", "d": "-2", "e": "plain", "f": "", "g": 3}
    monkeypatch.setattr(trace_stats, "table_rows", lambda records: [row])
    out = trace_stats.to_csv([])
    import csv
    import io

    got = next(csv.DictReader(io.StringIO(out)))
    assert got["trace_id"] == "" and got["f"] == ""
    assert got["a"] == "'=1+1" and got["b"] == "'\tx" and got["c"] == "'\rx" and got["d"] == "'-2"
    assert got["e"] == "plain" and got["g"] == "3"


# 6. Every guardrail is described in both languages


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_guardrail_has_a_description(lang):
    from guardrails import REGISTRY

    missing = [name for name in REGISTRY if not translate(lang, f"guard_desc.{name}", default="").strip()]
    assert missing == []
    en = {name: translate("en", f"guard_desc.{name}", default="") for name in REGISTRY}
    if lang == "zh":  # a real translation, not the English fallback
        assert all(translate("zh", f"guard_desc.{n}", default="") != en[n] for n in REGISTRY)


# 7. Deleting an uploaded document deletes its saved file


def test_deleting_an_upload_removes_the_file_so_reindex_does_not_bring_it_back(make_app):
    at, svc, _ = make_app("documents")
    upload(at, ("walrus.md", b"# Walrus\n\nThe walrus festival happens in March.", "text/markdown"))
    source = next(d.source for d in svc.documents() if d.source.endswith("walrus.md"))
    at.selectbox(key="doc_pick").set_value(source)
    at.run(timeout=TIMEOUT)
    delete(at)
    assert not at.exception
    assert not (svc.settings.home / "uploads" / "walrus.md").exists()
    assert any("was removed too" in t.value for t in at.toast)
    next(b for b in at.button if b.label == "Re-index all").click()
    at.run(timeout=TIMEOUT)
    assert not any(d.source.endswith("walrus.md") for d in svc.documents())


def test_deleting_a_docs_folder_document_keeps_the_file_and_says_so(make_app):
    at, svc, _ = make_app("documents")
    at.selectbox(key="doc_pick").set_value("modelfile.md")
    delete(at)
    assert not at.exception
    assert (svc.settings.docs_dir / "modelfile.md").is_file()
    assert any("Re-index all will add it back" in plain(t.value) for t in at.toast)
