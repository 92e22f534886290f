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


# A cross-language chunk BM25 cannot see: the vectors rank it 1st, BM25 ranks two same-language chunks the
# vectors placed 2nd and 3rd. Without abstention (blind 0) the chunk found by one ranking alone falls to last.
@pytest.mark.parametrize(
    ("blind", "first", "abstained"),
    [
        ({}, "en2", 0.0),  # no blindness known: plain RRF (1/11 < 1/12 + 1/12)
        ({"zh1": 0.0}, "en2", 0.0),  # BM25 sees the chunk's language fully: it ranked it below the others
        ({"zh1": 0.5}, "en2", 0.5),  # half the vote at rank 1: 1.5/11 = 0.136 < 0.167
        ({"zh1": 1.0}, "zh1", 1.0),  # BM25 cannot see it at all: its whole vote at rank 1, 2/11 = 0.182
        ({"zh1": 3.0}, "zh1", 1.0),  # a share is clamped to 0..1
    ],
)
def test_a_ranking_blind_to_a_chunk_abstains_at_its_vector_rank(blind: dict[str, float], first: str, abstained: float) -> None:
    fused = rrf(["zh1", "en2", "en3"], ["en2", "en3"], blind=blind)
    assert fused[0].chunk_id == first
    zh1 = next(f for f in fused if f.chunk_id == "zh1")
    assert zh1.abstained == abstained and zh1.lexical_rank is None
    assert zh1.score == pytest.approx((1 + abstained) / (RRF_K + 1))


@pytest.mark.parametrize(
    ("dense", "lexical", "chunk"),
    [
        (["a", "b"], ["b", "a"], "a"),  # BM25 ranked it (through a shared identifier): its own rank counts
        ([], ["a"], "a"),  # no vector rank to cast the vote at
        (["b"], [], "a"),  # not a candidate at all
    ],
)
def test_blindness_counts_only_for_a_vector_candidate_bm25_did_not_rank(dense: list[str], lexical: list[str], chunk: str) -> None:
    plain = {f.chunk_id: f.score for f in rrf(dense, lexical)}
    blind = {f.chunk_id: f for f in rrf(dense, lexical, blind={chunk: 1.0})}
    assert {cid: f.score for cid, f in blind.items()} == plain
    assert all(f.abstained == 0.0 for f in blind.values())
