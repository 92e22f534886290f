"""`guarded-rag eval` on what users actually hand it: their own JSONL files (a BOM, reused ids, a keyword list
written as a string, wrong types), an --out folder that is not an evaluation's, a collection that is not there,
an edited row resumed under its old id, and dataset text carrying Markdown or TeX. Found by a hunt over the
evaluation lab; each of these lost data, crashed, or scored silently wrong."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

import pytest

from app.cli.lab import add_lab_commands, run_lab_command
from app.lab.evaluation.dataset_file import DatasetError, load_jsonl
from app.lab.evaluation.plots import write_plots
from app.lab.evaluation.records import RunMeta, RunRecord
from app.lab.evaluation.report import build_report, to_markdown
from app.lab.evaluation.runner import RECORDS, OutFolderError, load_records, run_eval
from app.lab.evaluation.suite import evaluate
from tests.app.lab.conftest import ANSWERABLE, GOOD, VAGUE, write_jsonl

ROW = {"id": "a1", "question": "What port does Ollama listen on by default?", "type": "answerable"}


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_lab_commands(p.add_subparsers(dest="command", required=True))
    return p.parse_args(list(argv))


def run_cli(svc, *argv: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_lab_command(svc, parse(*argv), io.StringIO())
    return code, err.getvalue()


# --- the user's dataset file ---------------------------------------------------------------------------------


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"  # Notepad's "UTF-8", and Windows line endings
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(ROW).encode() + b"\r\n\r\n")
    [item] = load_jsonl(path)
    assert (item.id, item.kind, item.question) == ("a1", "answerable", ROW["question"])


def test_an_id_used_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    # records are kept per (set, id, mode): the second row's outcome replaced the first's, and a resume skipped it
    path = write_jsonl(tmp_path / "mine.jsonl", [ROW, {**ROW, "question": "Another question?"}])
    with pytest.raises(DatasetError, match=r"mine\.jsonl:2: id 'a1' is also the id of line 1"):
        load_jsonl(path)
    # a row without an id is named by its line number, which may be another row's explicit id
    implicit = write_jsonl(tmp_path / "implicit.jsonl", [{**ROW, "id": 2}, {k: v for k, v in ROW.items() if k != "id"}])
    with pytest.raises(DatasetError, match=r"implicit\.jsonl:2: id '2' is also the id of line 1"):
        load_jsonl(implicit)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answer_keywords", "11434", "answer_keywords"),  # was read as the keywords 1, 1, 4, 3, 4
        ("answer_keywords", [11434], "answer_keywords.0"),  # was a pydantic ValidationError
        ("answer", 5, "answer"),
        ("expected_sources", "a.md", "expected_sources"),
    ],
)
def test_a_field_of_the_wrong_type_is_an_error_naming_the_line(tmp_path: Path, field: str, value: object, message: str) -> None:
    path = write_jsonl(tmp_path / "mine.jsonl", [ROW, {**ROW, "id": "a2", field: value}])
    with pytest.raises(DatasetError, match=rf"mine\.jsonl:2: {message}: "):
        load_jsonl(path)


def test_the_cli_reports_a_bad_row_as_a_usage_error(service, tmp_path: Path) -> None:
    svc, _ = service()  # no replies: nothing may reach the model
    path = write_jsonl(tmp_path / "mine.jsonl", [{**ROW, "answer_keywords": "11434"}])
    code, err = run_cli(svc, "eval", str(path), "--no-progress", "--out", str(tmp_path / "o"))
    assert code == 2 and "mine.jsonl:1: answer_keywords" in err and "Traceback" not in err


# --- --out ---------------------------------------------------------------------------------------------------


def test_an_out_folder_holding_other_files_is_left_alone(service, tmp_path: Path) -> None:
    svc, _ = service()
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "report.md").write_text("my own notes\n")
    code, err = run_cli(svc, "eval", "vague", "--input-only", "--no-progress", "--out", str(notes))
    assert code == 2 and f"{notes} is left as it is" in err and "name a new or empty folder" in err
    assert sorted(p.name for p in notes.iterdir()) == ["report.md"]
    assert (notes / "report.md").read_text() == "my own notes\n"
    with pytest.raises(OutFolderError):  # the library refuses too (the UI and the gate call it)
        evaluate(svc, ["vague"], out=notes, input_only=True, progress=False)
    assert sorted(p.name for p in notes.iterdir()) == ["report.md"]


def test_a_foreign_meta_or_records_file_is_neither_a_crash_nor_cut_short(service, tmp_path: Path) -> None:
    svc, _ = service()
    out = tmp_path / "out"
    out.mkdir()
    (out / "meta.json").write_text('{"hello": 1}')  # was a pydantic ValidationError
    (out / RECORDS).write_bytes(b"precious, with no final newline")  # a resume cut it back to its last newline
    with pytest.raises(OutFolderError, match=r"meta\.json was not written by an evaluation run"):
        run_eval(svc, [VAGUE], out=out, progress=False)
    assert (out / RECORDS).read_bytes() == b"precious, with no final newline"


def test_an_earlier_runs_folder_is_resumed_and_a_damaged_record_redone(service, tmp_path: Path) -> None:
    svc, _ = service()
    out = tmp_path / "out"
    run_eval(svc, [VAGUE], out=out, modes=("guarded",), progress=False)
    path = out / RECORDS
    path.write_bytes(path.read_bytes() + b'{"dataset": "t", "id": "\xff"}\n')  # a damaged line: was UnicodeDecodeError
    assert list(load_records(path)) == [("t", "v1", "guarded")]
    assert [r.id for r in run_eval(svc, [VAGUE], out=out, modes=("guarded",), progress=False)] == ["v1"]


# --- --against -----------------------------------------------------------------------------------------------


def test_against_a_collection_that_is_not_there_is_refused(service, tmp_path: Path) -> None:
    svc, _ = service()
    path = write_jsonl(tmp_path / "mine.jsonl", [{**ROW, "type": "unanswerable"}])
    out = tmp_path / "o"
    code, err = run_cli(svc, "eval", str(path), "--against", "nosuch", "--retrieval-only", "--no-progress", "--out", str(out))
    # it was exit 0 with a report of 100% "unanswerable refused": every question refused by an empty index
    assert code == 2 and "collection nosuch is empty or does not exist" in err
    code, err = run_cli(svc, "eval", str(path), "--against", "a/b", "--no-progress")
    assert code == 2 and "--against 'a/b' is not a collection name" in err and "ValidationError" not in err
    assert not (svc.settings.home / "eval").exists()  # no "mine@a/" folder made for it


# --- resume --------------------------------------------------------------------------------------------------


def test_an_edited_row_is_redone_on_resume_not_reused(service, tmp_path: Path) -> None:
    out = tmp_path / "out"
    svc, factory = service(GOOD, GOOD)
    [first] = run_eval(svc, [ANSWERABLE], out=out, modes=("guarded",), progress=False)
    assert first.keyword_match is True
    edited = ANSWERABLE.model_copy(update={"answer_keywords": ("8080",)})  # the user fixed the gold, same id
    [again] = run_eval(svc, [edited], out=out, modes=("guarded",), progress=False)
    assert again.keyword_match is False and factory.models["smollm2:135m"].remaining == 0  # asked again
    [same] = run_eval(svc, [edited], out=out, modes=("guarded",), progress=False)  # unchanged: resumed, no call
    assert same == again


# --- report and plots ----------------------------------------------------------------------------------------

HOSTILE = "![pixel](http://attacker.example/p.png) <img src=x onerror=alert(1)> a|b **loud**"


def hostile_records() -> list[RunRecord]:
    common = {"kind": "answerable", "mode": "guarded", "status": "answered", "typed": True}
    return [
        RunRecord(dataset="mine $\\frac{$ x", id="1", category=HOSTILE, lang="en", **common),  # type: ignore[arg-type]
        RunRecord(dataset="mine $\\frac{$ x", id="2", category="quote", lang="<b>zh</b>", **common),  # type: ignore[arg-type]
    ]


def test_dataset_text_in_the_markdown_report_is_shown_literally() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    report = build_report(RunMeta(backend="embedded", model="m", modes=("guarded",)), hostile_records())
    html = str(markdown_it.MarkdownIt("commonmark").enable("table").render(to_markdown(report)))
    assert "<img" not in html and "<a " not in html and "<strong>" not in html and "<b>" not in html
    assert "![pixel](http://attacker.example/p.png) &lt;img src=x onerror=alert(1)&gt; a|b **loud**" in html
    assert "[&lt;b&gt;zh&lt;/b&gt;]</h2>" in html


def test_plots_take_a_dataset_name_that_is_not_tex(tmp_path: Path) -> None:
    records = hostile_records()
    report = build_report(RunMeta(backend="embedded", model="m", modes=("guarded",)), records)
    paths = write_plots(report, records, tmp_path)  # "$\frac{$" was parsed as mathtext and raised
    assert [p.name for p in paths] == ["rates.png", "latency.png", "rungs.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in paths)


def test_a_run_that_skipped_every_set_can_be_run_again_in_its_folder(service, tmp_path: Path) -> None:
    svc, _ = service()
    argv = ("eval", "clamber", "--shared", str(tmp_path / "none"), "--no-progress", "--out", str(tmp_path / "o"))
    assert run_cli(svc, *argv)[0] == 1  # nothing evaluated: report.md says what was skipped
    code, err = run_cli(svc, *argv)  # the data is still absent; the folder is the earlier run's, not a stranger's
    assert code == 1 and "nothing was evaluated" in err
