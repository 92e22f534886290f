"""bench/soak.py's flatness verdict: growth and slope after the warm-up, on hand-made RSS series."""

from __future__ import annotations

import pytest

from bench.soak import FLAT_PCT, flatness


def test_a_climb_during_the_warm_up_does_not_count():
    series = [(30, 600.0), (60, 640.0), (90, 660.0), (120, 661.0), (150, 661.0), (180, 662.0)]
    flat = flatness(series, warmup_s=120)
    assert flat is not None
    assert flat["rss_warm"] == 661.0 and flat["rss_end"] == 662.0
    assert flat["growth_mb"] == pytest.approx(1.0)
    assert flat["growth_pct"] == pytest.approx(100 / 661)
    assert flat["flat"]


def test_a_steady_climb_after_the_warm_up_is_not_flat_and_its_slope_is_measured():
    series = [(t, 600.0 + t / 30) for t in range(30, 601, 30)]  # +1 MB every 30 s = +2 MB/min
    flat = flatness(series, warmup_s=180)
    assert flat is not None
    assert flat["slope_mb_min"] == pytest.approx(2.0)
    assert flat["growth_mb"] == pytest.approx(14.0)
    assert flat["growth_pct"] > FLAT_PCT
    assert not flat["flat"]
    assert flat["from_min"] == pytest.approx(3.0) and flat["to_min"] == pytest.approx(10.0)


def test_too_short_a_run_gives_no_verdict():
    assert flatness([(30, 600.0), (60, 601.0)], warmup_s=60) is None
    assert flatness([], warmup_s=0) is None


def test_a_swing_that_ends_where_it_started_is_not_flat():
    # The shape measured with glibc's default arenas: +/- 50 MB swings, the end close to the warm-up's value.
    series = [(180, 786.0), (210, 755.0), (240, 721.0), (270, 767.0), (300, 784.0), (330, 733.0), (360, 789.0)]
    flat = flatness(series, warmup_s=180)
    assert flat is not None
    assert abs(flat["growth_pct"]) < FLAT_PCT  # the two end points alone would call it flat
    assert flat["band_pct"][0] == pytest.approx((721 - 786) / 786 * 100)
    assert not flat["flat"]
