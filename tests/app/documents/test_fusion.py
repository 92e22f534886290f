"""Reciprocal rank fusion: both rankings count, one ranking alone still counts, ties keep the vector order."""

from __future__ import annotations

import pytest

from app.documents.fusion import RRF_K, rrf


def test_found_by_both_rankings_rises() -> None:
    fused = rrf(["a", "b", "c"], ["c", "d"])
    assert [f.chunk_id for f in fused][:1] == ["c"]  # 3rd + 1st beats 1st alone
    top = fused[0]
    assert (top.dense_rank, top.lexical_rank) == (3, 1)
    assert top.score == pytest.approx(1 / (RRF_K + 3) + 1 / (RRF_K + 1))


def test_one_ranking_alone_still_counts() -> None:
    fused = {f.chunk_id: f for f in rrf(["a"], ["x"])}
    assert fused["a"].lexical_rank is None and fused["x"].dense_rank is None
    assert fused["a"].score == fused["x"].score


def test_ties_keep_the_vector_order() -> None:
    assert [f.chunk_id for f in rrf(["a", "b"], ["b", "a"])] == ["a", "b"]


def test_duplicates_and_empty_rankings() -> None:
    assert rrf([], []) == []
    assert [f.chunk_id for f in rrf(["a", "a", "b"], [])] == ["a", "b"]
    assert [f.dense_rank for f in rrf(["a", "a", "b"], [])] == [1, 2]


@pytest.mark.parametrize("k", [1, 10, 60])
def test_smaller_k_weighs_the_top_more(k: int) -> None:
    # A chunk 1st in one ranking vs one 4th in both: with a small k the single first place wins.
    fused = rrf(["top", "x", "w", "both"], ["y", "z", "v", "both"], k=k)
    order = [f.chunk_id for f in fused]
    if k == 1:
        assert order.index("top") < order.index("both")
    if k == 60:
        assert order.index("both") < order.index("top")
