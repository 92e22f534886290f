"""bench/run_all.py's page: headlines computed from the run's own numbers, nested lists of dicts as tables,
machine blocks left to the header, failed scripts reported (no benchmark runs here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_run_all", ROOT / "bench" / "run_all.py")
assert _spec and _spec.loader
run_all = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_all)

INFO = {
    "date": "2026-11-30 12:00 UTC",
    "nproc": 2,
    "cpu": "test CPU",
    "platform": "Linux",
    "python": "3.11",
    "load_average": [1.0, 1.0, 1.0],
    "load_average_end": [2.0, 1.5, 1.0],
    "threads": "1",
}


def results(**overrides: dict) -> dict[str, dict]:
    base = {
        "bench_guard_overhead": {
            "status": "ok",
            "seconds": 1.0,
            "args": [],
            "result": {"overhead_ex_retrieval_p50_ms": 20.0, "overhead_ex_retrieval_p99_ms": 40.0, "machine": {"cpus": 2}},
        },
        "bench_relevance_cost": {
            "status": "ok",
            "seconds": 1.0,
            "args": [],
            "result": {"hybrid": {"checks_p50_ms": 2.74, "embed_p50_ms": 3.5, "search_p50_ms": 4.25}},
        },
        "bench_input_guards": {"status": "ok", "seconds": 1.0, "args": [], "result": {"input_plus_retrieval": {"p50_ms": 3.21}}},
        "eval_input_guards": {"status": "skipped", "reason": "not selected (--only)"},
        "bench_retrieval": {
            "status": "ok",
            "seconds": 1.0,
            "args": [],
            "result": {"latency_ratios_vectors": {"p50_10000/1000": 1.5}, "rows": [{"corpus": "vectors", "size": 1000}]},
        },
        "bench_telemetry": {"status": "ok", "seconds": 1.0, "args": [], "result": {"ratio_on_p50": 1.04}},
        "bench_trace_store": {"status": "skipped", "reason": "not selected (--only)"},
        "bench_policy_replay": {"status": "ok", "seconds": 1.0, "args": [], "result": {"read_plus_replay_s": 1.234}},
        "bench_scaling": {"status": "skipped", "reason": "not selected (--only)"},
        "bench_ingest": {"status": "failed", "reason": "exit 1: boom"},
        "bench_embedded": {
            "status": "ok",
            "seconds": 1.0,
            "args": [],
            "load_after": [3.0, 2.0, 1.0],
            "result": {
                "constrained": {"total_s": 2.0},
                "constrained_over_unconstrained_decode": 0.9,
                "per_run": {"constrained": [{"ttft_s": 0.5, "total_s": 2.0}]},
                "machine": {"nproc": 2},
            },
        },
        "bench_embedded_stop": {
            "status": "ok",
            "seconds": 1.0,
            "args": [],
            "result": {"free_after_stop_s": 0.3, "whole_prompt_over_free_after_stop": 29.3},
        },
        "bench_ui_first_token": {"status": "ok", "seconds": 1.0, "args": [], "result": {"ui_over_bare_visible_p50": 1.25}},
        "bench_serve_load": {"status": "skipped", "reason": "not selected (--only)"},
    }
    return base | overrides


def test_headlines_are_ratios_of_this_runs_numbers() -> None:
    lines = run_all.headlines(results())
    assert lines[0].startswith("- Guard overhead") and "p50 20.00 ms" in lines[0] and "p99 40.00 ms" in lines[0]
    assert "p50 = 1.00% of one short constrained call" in lines[0] and "(2.00 s)" in lines[0]
    assert any("1.25x" in line for line in lines) and any("0.90x" in line for line in lines)
    assert any("10000/1000 1.50x" in line for line in lines)
    assert any("OpenTelemetry export on" in line and "1.04x" in line for line in lines)
    assert any("1,000 stored traces" in line and "1.23 s (target <= 2)" in line for line in lines)
    checks = next(line for line in lines if "budget 5 ms" in line)
    assert "p50: 2.74 ms (budget 5 ms)" in checks and "embedding 3.50 ms, search 4.25 ms" in checks
    assert any("whole way to the model" in line and "3.21 ms" in line for line in lines)
    assert any("free 0.30 s after a question is withdrawn" in line and "29x" in line for line in lines)


def test_a_missing_number_drops_its_headline_instead_of_guessing() -> None:
    lines = run_all.headlines(results(bench_embedded={"status": "failed", "reason": "x"}))
    assert not any("grammar" in line or "constrained call" in line for line in lines)
    assert any(line.startswith("- Guard overhead") for line in lines)  # measured on its own, it stays
    lines = run_all.headlines(results(bench_guard_overhead={"status": "failed", "reason": "x"}))
    assert not any("Guard overhead" in line for line in lines)


def test_page_renders_nested_tables_skips_machine_blocks_and_reports_failures() -> None:
    page = run_all.render(INFO, results())
    assert "## Headlines" in page and "per_run.constrained:" in page and "| ttft_s | total_s |" in page
    assert "machine." not in page and "nproc" not in page.split("## Headlines")[1]
    assert "**failed**: exit 1: boom" in page and "**skipped**: not selected (--only)" in page
    assert "load average after: 3.0, 2.0, 1.0" in page


def test_the_scaling_headline_lists_each_process_count_against_one() -> None:
    levels = [{"processes": 1, "per_s": 50.0, "ratio_vs_1": 1.0}, {"processes": 2, "per_s": 80.0, "ratio_vs_1": 1.6}]
    scaling = {"status": "ok", "seconds": 1.0, "args": [], "result": {"levels": levels, "trace_store": "SQLite file"}}
    lines = run_all.headlines(results(bench_scaling=scaling))
    assert any("2 processes 1.60x" in line and "SQLite file" in line for line in lines)
    one = {"status": "ok", "seconds": 1.0, "args": [], "result": {"levels": levels[:1]}}
    assert not any("processes" in line for line in run_all.headlines(results(bench_scaling=one)))
