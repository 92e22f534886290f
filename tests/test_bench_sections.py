"""bench/sections.py: the soak's section of docs/BENCHMARKS.md survives `make bench`, and a new soak replaces it."""

from __future__ import annotations

from bench.sections import carry_over, find, put

PAGE = "# Benchmarks\n\n- date: x\n\n## bench_a\n\nA\n\n## bench_b\n\nB\n"


def test_put_appends_then_replaces_only_its_section() -> None:
    first = put(PAGE, "soak", "## soak\n\nerrors 0\n")
    assert first.endswith("## bench_b\n\nB\n\n## soak\n\nerrors 0\n") and find(first, "bench_a") == "## bench_a\n\nA\n"
    second = put(first, "soak", "## soak\n\nerrors 1\n")
    assert find(second, "soak") == "## soak\n\nerrors 1\n" and "errors 0" not in second
    middle = put("## soak\n\nold\n\n## bench_a\n\nA\n", "soak", "## soak\n\nnew\n")
    assert middle == "## soak\n\nnew\n\n## bench_a\n\nA\n"


def test_a_fresh_bench_page_keeps_the_soak_section_of_the_old_one() -> None:
    old = put(PAGE, "soak", "## soak\n\nerrors 0, lost traces 0\n")
    fresh = PAGE.replace("A\n", "A2\n")
    kept = carry_over(old, fresh)
    assert "A2" in kept and find(kept, "soak") == "## soak\n\nerrors 0, lost traces 0\n"
    assert carry_over(PAGE, fresh) == fresh  # nothing to keep
