"""Calibration: probes from the corpus and the bundled general set, the threshold rule, the policy TOML it
writes (loadable, the service runs with it), and `guarded-rag calibrate` on fakes."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest

from app import GuardedRAG, LabelledCase
from app.cli.main import main
from app.lab.calibration.probes import answerable_probes, off_corpus_probes, probe_from
from app.lab.calibration.run import FEW_ANSWERABLE, Calibration, CalibrationError, calibrate
from app.lab.calibration.sweep import GRID, candidates, choose
from app.lab.policy.files import policy_toml
from guardrails import Chunk, GuardContext, load_policy, load_policy_dict
from tests.fake_service import make_service

CHUNKS = [
    ("c1", "env-zh.md", "环境变量 > 说明\nOLLAMA_KEEP_ALIVE 控制模型空闲后在内存中保留多久，默认五分钟。修改后需要重启服务。"),
    ("c2", "port.md", "Port\nOllama listens on port 11434 by default and binds only to the loopback address."),
    ("c3", "tiny.md", "ok"),
]


def test_probe_from_a_sentence_keeps_a_run_of_its_words_in_a_question_frame() -> None:
    zh = probe_from(CHUNKS[0][2], "c1")
    en = probe_from(CHUNKS[1][2], "c2")
    assert zh is not None and zh.lang == "zh" and zh.answerable and zh.question.endswith("？")
    assert en is not None and en.lang == "en" and en.question.endswith("?")
    assert probe_from("ok", "c3") is None
    assert probe_from(CHUNKS[1][2], "c2") == en  # deterministic for a chunk and seed
    assert "环境变量 > 说明" not in zh.question  # heading paths are layout, not sentences


def test_answerable_probes_one_per_chunk_up_to_the_limit() -> None:
    probes = answerable_probes(CHUNKS, limit=5)
    assert sorted(p.origin for p in probes) == ["c1", "c2"]
    assert len(answerable_probes(CHUNKS, limit=1)) == 1


def test_off_corpus_probes_come_from_the_tune_split_only() -> None:
    tune, report = off_corpus_probes(split="tune"), off_corpus_probes(split="report")
    assert tune and report and not ({p.origin for p in tune} & {p.origin for p in report})
    assert {p.lang for p in tune} == {"zh", "en"} and not any(p.answerable for p in tune)


@pytest.mark.parametrize(
    ("off", "target", "threshold", "refused"),
    [
        ([0.1, 0.2, 0.3, 0.4], 0.75, 0.301, 0.75),  # just above the 3rd lowest
        ([0.1, 0.2, 0.3, 0.4], 0.95, 0.401, 1.0),  # 0.95 of 4 rounds up to all 4
        ([0.5] * 10, 0.9, 0.501, 1.0),  # ties all fall below
        ([0.2] * 20, 0.5, 0.201, 1.0),
        ([-0.3, -0.2, -0.1], 0.95, 0.0, 1.0),  # negative relevance (unknown-terms penalty): clamped to 0
    ],
)
def test_threshold_rule_is_the_lowest_refusing_the_target(off, target, threshold, refused) -> None:
    answerable = [0.9, 0.35, 0.05] * 7  # enough (FEW_ANSWERABLE) for the rule to decide on its own
    choice = choose("en", probes(answerable, off), DEFAULT, target=target)
    assert choice.threshold == threshold and choice.off_corpus_refused == refused
    assert choice.answerable_refused == round(sum(a < threshold for a in answerable) / len(answerable), 4)


def probes(answerable: list[float], off_corpus: list[float], question: str = "What is it?") -> list[LabelledCase]:
    """Cases whose hybrid relevance is exactly the given score: one passage (similarity s, BM25 0), no coverage
    signal (no unknown-terms penalty): what relevance sees for a probe, reduced to its score."""

    def case(score: float, off: bool, i: int) -> LabelledCase:
        chunk = Chunk(chunk_id=f"c{i}", source="d.md", text="x", score=score, lexical=0.0)
        return LabelledCase(context=GuardContext(question=question, chunks=(chunk,)), should_fire=off, source=f"p{i}")

    return [case(s, False, i) for i, s in enumerate(answerable)] + [case(s, True, 100 + i) for i, s in enumerate(off_corpus)]


DEFAULT = load_policy()


def test_curve_comes_from_the_policy_lab_sweep_and_no_off_corpus_probes() -> None:
    cases = probes([0.5, 0.1] * 10, [0.2])
    assert candidates(cases, DEFAULT) == sorted({*GRID, 0.201})  # the grid and just above each off-corpus score
    choice = choose("en", cases, DEFAULT, target=0.95)
    at = {p.threshold: (p.answerable_refused, p.off_corpus_answered) for p in choice.curve}
    assert choice.threshold == 0.201 and at[0.15] == (0.5, 1.0) and at[0.3] == (0.5, 0.0)
    # Chinese probes are held to min_hybrid_zh: the sweep moves that parameter for them
    zh = choose("zh", probes([0.5], [0.3], question="这是什么？"), DEFAULT, target=0.95)
    assert zh.threshold == 0.301 and zh.answerable_refused == 0.0
    with pytest.raises(ValueError, match="no off-corpus probes"):
        choose("zh", probes([0.5], []), DEFAULT, target=0.95)


def test_calibrate_sweeps_with_the_policy_lab_sweep(monkeypatch) -> None:
    """One sweep implementation: calibration's choice goes through app.lab.policy's sweep."""
    import app.lab.calibration.sweep as cal

    calls = []
    real = cal.sweep

    def spy(*args, **kwargs):
        calls.append((args[2], args[3], kwargs.get("tie")))
        return real(*args, **kwargs)

    monkeypatch.setattr(cal, "sweep", spy)
    choose("en", probes([0.9] * FEW_ANSWERABLE, [0.2, 0.3]), DEFAULT, target=0.9)
    assert calls == [("relevance", "min_hybrid", "lowest")]


def test_policy_toml_round_trips(tmp_path: Path) -> None:
    policy = load_policy().with_overrides({"relevance": {"min_hybrid": 0.4, "min_hybrid_zh": 0.3}})
    text = policy_toml(policy, header="", note="calibrated\n\nrule: lowest")
    assert text.startswith("# calibrated\n# rule: lowest\n")
    assert load_policy_dict(tomllib.loads(text)) == policy


def test_calibrate_writes_a_policy_the_service_runs_with(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    out = tmp_path / "policy.toml"
    seen: list[tuple[int, int]] = []
    result = calibrate(svc, out=out, probes=20, target=0.9, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert set(result.thresholds) == {"min_hybrid", "min_hybrid_zh"}
    assert {c.lang for c in result.choices} == {"en", "zh"}
    assert all(c.off_corpus_refused >= 0.9 for c in result.choices)
    written = out.read_text(encoding="utf-8")
    assert "calibrated by `guarded-rag calibrate`" in written and "GUARDED_RAG_POLICY" in written
    calibrated = GuardedRAG(svc.settings.with_overrides(policy=out), embeddings=svc._parts.embedder())
    assert calibrated.policy.params("relevance")["min_hybrid"] == result.thresholds["min_hybrid"]
    assert calibrated.relevance("Which port does Ollama listen on?").threshold == result.thresholds["min_hybrid"]


def test_a_small_corpus_gets_a_note_that_its_answerable_rate_is_rough(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    out = tmp_path / "policy.toml"
    result = calibrate(svc, out=out, probes=10, target=0.9)
    few = {c.lang: c.answerable for c in result.choices if 0 < c.answerable < FEW_ANSWERABLE}
    assert few, result.choices  # the fake corpus is small: at least one language has a handful of probes
    for lang, n in few.items():
        note = next(x for x in result.notes if x.startswith(f"only {n} {lang} answerable probe(s)"))
        assert "too rough to trust" in note and f"# note: {note}" in out.read_text(encoding="utf-8")


def test_calibrate_refuses_an_empty_index_or_vector_only_retrieval(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    with pytest.raises(CalibrationError, match="empty"):
        calibrate(svc, out=tmp_path / "p.toml")
    vector, _ = make_service(tmp_path, retrieval="vector")
    with pytest.raises(CalibrationError, match="hybrid"):
        calibrate(vector, out=tmp_path / "p.toml")


def test_cli_calibrate_prints_the_curve_and_writes_the_policy(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    out = io.StringIO()
    target = tmp_path / "cal.toml"
    code = main(["calibrate", "--out", str(target), "--probes", "10", "--no-progress"], out, build=lambda s: svc)
    text = out.getvalue()
    assert code == 0, text
    assert "threshold  answerable refused  off-corpus answered" in text and "<- chosen" in text
    assert f"use it: GUARDED_RAG_POLICY={target}" in text and target.exists()
    code = main(
        ["calibrate", "--out", str(target), "--probes", "10", "--no-progress", "--json"], io.StringIO(), build=lambda s: svc
    )
    assert code == 0


@pytest.mark.parametrize(("args", "message"), [(["--target", "1.5"], "--target"), (["--probes", "3"], "--probes")])
def test_cli_calibrate_rejects_bad_arguments(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    svc, _ = make_service(tmp_path)
    out = io.StringIO()
    assert main(["calibrate", *args], out, build=lambda s: svc) == 2
    assert message in capsys.readouterr().err and out.getvalue() == ""  # errors on stderr


def test_cli_calibrate_on_an_empty_index_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line saying what to do; no progress bar framing it (the bar starts at the first probe)."""
    svc, _ = make_service(tmp_path, ingest=False)
    for extra in (["--no-progress"], []):
        out = io.StringIO()
        assert main(["calibrate", *extra], out, build=lambda s: svc) == 1
        err = capsys.readouterr().err
        assert (
            out.getvalue() == ""
            and err == f"error: collection {svc.settings.collection!r} is empty: run `guarded-rag ingest` first\n"
        )


def test_cli_calibrate_draws_its_bar_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc, _ = make_service(tmp_path)
    assert main(["calibrate", "--out", str(tmp_path / "c.toml"), "--probes", "10"], io.StringIO(), build=lambda s: svc) == 0
    assert "calibrate: 100%" in capsys.readouterr().err


def test_cli_ingest_prints_the_calibrate_hint(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    out = io.StringIO()
    assert main(["ingest"], out, build=lambda s: svc) == 0
    assert "guarded-rag calibrate" in out.getvalue()
    again = io.StringIO()
    main(["ingest"], again, build=lambda s: svc)  # nothing changed: no hint
    assert "calibrate" not in again.getvalue()


def test_answerable_probes_take_each_language_in_turn_so_a_small_one_is_not_crowded_out() -> None:
    """A large English file beside a few Chinese pages: every Chinese chunk still makes a probe (all 50 used to
    be English, and calibrate said the corpus had no Chinese sentences)."""
    english = [
        (f"e{i}", "log.txt", f"Robot fleet sensor number {i} reported battery motor firmware update {i}.") for i in range(2000)
    ]
    chinese = [
        (f"z{i}", "年假.md", f"星河科技的全职员工每年享有十五天带薪年假，入职满五年后增加到二十天。第{i}条。") for i in range(3)
    ]
    probes = answerable_probes(english + chinese, limit=50)
    assert len(probes) == 50 and len({p.origin for p in probes}) == 50
    assert sorted(p.origin for p in probes if p.lang == "zh") == ["z0", "z1", "z2"]
    both = answerable_probes(english + [(f"z{i}", "年假.md", chinese[0][2]) for i in range(100)], limit=40)
    assert sum(p.lang == "zh" for p in both) == 20  # two large languages: half each
    assert answerable_probes(english + chinese, limit=50) == probes  # stable for a corpus and seed


def test_calibrate_waits_for_a_running_ingest_and_calibrates_the_finished_corpus(tmp_path: Path) -> None:
    """A rebuild holding the index: calibrate says so and waits (it calibrated the 15 chunks a rebuild had
    written so far, out of 6,900, and wrote a policy for a corpus that never existed)."""
    import threading

    svc, _ = make_service(tmp_path)
    index = svc._parts.docs()
    holding, release, waited = threading.Event(), threading.Event(), threading.Event()
    messages: list[str] = []

    def rebuild() -> None:
        with index.writing("rebuild"):
            holding.set()
            release.wait(30)
            index.reset()  # the corpus the calibration must not see: emptied, then refilled
            svc.ingest()

    writer = threading.Thread(target=rebuild)
    writer.start()
    assert holding.wait(30)
    results: list[object] = []

    def on_wait(message: str) -> None:
        messages.append(message)
        waited.set()

    runner = threading.Thread(target=lambda: results.append(calibrate(svc, out=tmp_path / "p.toml", probes=20, on_wait=on_wait)))
    runner.start()
    assert waited.wait(30), "calibrate did not wait for the writer"
    release.set()
    writer.join(60)
    runner.join(60)
    assert "rebuild" in messages[0]
    (result,) = results
    assert isinstance(result, Calibration)
    assert result.chunks == len(svc.indexed_chunks())  # the whole corpus, not a half-written one


def test_calibrate_gives_up_with_a_clear_error_when_a_writer_keeps_the_index(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, write_lock_timeout=0.2)
    import threading

    holding, release = threading.Event(), threading.Event()

    def ingest() -> None:
        with svc._parts.docs().writing("ingest"):
            holding.set()
            release.wait(30)

    writer = threading.Thread(target=ingest)
    writer.start()
    assert holding.wait(30)
    try:
        with pytest.raises(CalibrationError, match=r"another ingest .* calibrate needs the finished corpus: run it again"):
            calibrate(svc, out=tmp_path / "p.toml", probes=20)
    finally:
        release.set()
        writer.join(30)
    assert not (tmp_path / "p.toml").exists()


def test_a_language_without_answerable_probes_keeps_the_stricter_of_rule_and_starting_threshold() -> None:
    """No answerable probe in a language (a corpus with no Chinese text): the rule's "lowest threshold refusing the
    target" is arbitrary there (0.000 was written, answering every Chinese question scoring >= 0); the starting
    policy's value is kept unless the rule is stricter."""
    start = DEFAULT.params("relevance")["min_hybrid_zh"]
    low = choose("zh", probes([], [-0.3, -0.2, 0.05], question="这是什么？"), DEFAULT, target=0.95)
    assert low.threshold == start and low.rule_threshold == 0.051 and low.off_corpus_refused == 1.0
    assert low.answerable_refused is None and start in {p.threshold for p in low.curve}
    high = choose("zh", probes([], [0.5, 0.6], question="这是什么？"), DEFAULT, target=0.95)
    assert high.threshold == 0.601 and high.rule_threshold is None  # the rule's stricter value stands
    enough = [0.9] * FEW_ANSWERABLE
    with_answerable = choose("zh", probes(enough, [-0.3, -0.2], question="这是什么？"), DEFAULT, target=0.95)
    assert with_answerable.threshold == 0.0 and with_answerable.rule_threshold is None  # evidence: the rule decides


def test_calibrate_on_a_corpus_without_chinese_keeps_the_chinese_threshold_and_says_so(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    english = tmp_path / "english"
    english.mkdir()
    (english / "port.md").write_text(
        "# Port\n\nOllama listens on port 11434 by default and binds only to the loopback address.\n"
        "Set OLLAMA_HOST to listen on another address, then restart the server.\n",
        encoding="utf-8",
    )
    svc = svc.derive(collection="english_only", docs_dir=english)
    svc.ingest()
    out = tmp_path / "policy.toml"
    result = calibrate(svc, out=out, probes=10, target=0.95)
    zh = next(c for c in result.choices if c.lang == "zh")
    start = DEFAULT.params("relevance")["min_hybrid_zh"]
    assert zh.answerable == 0 and zh.rule_threshold is not None and zh.rule_threshold < zh.threshold == start
    note = next(n for n in result.notes if n.startswith("no zh sentences in the corpus"))
    assert f"# note: {note}" in out.read_text(encoding="utf-8")
    assert result.thresholds["min_hybrid_zh"] == zh.threshold


@pytest.mark.parametrize(
    "content",
    [
        b"SQLite format 3\x00" + bytes(range(256)) * 4,  # the trace database (found: it was replaced by the policy)
        b"# My notes\n\nnot = [a policy\n",
        b'title = "a TOML file, but no [guardrails] table"\n',
    ],
)
def test_calibrate_leaves_a_file_that_is_not_a_policy_as_it_is(tmp_path: Path, content: bytes) -> None:
    svc, _ = make_service(tmp_path)
    out = tmp_path / "other.file"
    out.write_bytes(content)
    scored: list[tuple[int, int]] = []
    with pytest.raises(CalibrationError, match="not a guardrail policy"):
        calibrate(svc, out=out, probes=10, target=0.9, progress=lambda d, t: scored.append((d, t)))
    assert out.read_bytes() == content and not scored  # refused before the probes were scored


def test_calibrate_replaces_an_earlier_policy_or_an_empty_file(tmp_path: Path) -> None:
    svc, _ = make_service(tmp_path)
    earlier, empty = tmp_path / "policy.toml", tmp_path / "empty.toml"
    earlier.write_text((Path(__file__).parents[3] / "guardrails" / "default_policy.toml").read_text(encoding="utf-8"))
    empty.touch()
    for out in (earlier, empty):
        calibrate(svc, out=out, probes=10, target=0.9)
        assert "calibrated by `guarded-rag calibrate`" in out.read_text(encoding="utf-8")


def test_cli_calibrate_onto_the_trace_database_says_so_and_keeps_the_traces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    svc, _ = make_service(tmp_path)
    db = tmp_path / "traces.sqlite3"
    db.write_bytes(b"SQLite format 3\x00" + bytes(100))
    before = db.read_bytes()
    code = main(["calibrate", "--out", str(db), "--probes", "10", "--no-progress"], io.StringIO(), build=lambda s: svc)
    assert code == 1 and db.read_bytes() == before
    assert capsys.readouterr().err.startswith(f"error: {db} is there and is not a guardrail policy")
