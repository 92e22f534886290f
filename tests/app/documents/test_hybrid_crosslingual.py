"""hybrid.merge with a BM25 ranking blind to the other language: the vectors' first choice in that language keeps
its place among the k (an English question whose answer is only in a Chinese document)."""

from __future__ import annotations

import pytest

from app.documents.hybrid import merge
from app.documents.lexical_scoring import LexicalResult

TEXTS = {"zh1": "环境变量改完要重启服务", "en2": "Set variables in the unit file", "en3": "Check the environment with env"}


def _fetch(ids: list[str]) -> list[tuple[str, str, str, list[float]]]:
    return [(cid, f"{cid}.md", TEXTS[cid], [1.0, 0.0]) for cid in ids if cid in TEXTS]


@pytest.mark.parametrize(
    ("blind", "top"),
    [
        ({}, ["en2", "en3"]),  # unknown blindness: plain RRF, the chunk only the vectors found falls out of k = 2
        ({"zh1": 0.2}, ["en2", "en3"]),  # BM25 saw most of the question's weight in Chinese chunks and ranked others
        ({"zh1": 1.0}, ["zh1", "en2"]),  # BM25 could match none of it there: it abstains, zh1 keeps rank 1
    ],
)
def test_blind_bm25_does_not_push_the_vectors_first_choice_out(blind: dict[str, float], top: list[str]) -> None:
    dense = [("zh1", 0.54), ("en2", 0.26), ("en3", 0.23)]
    lexical = LexicalResult(ranked=("en2", "en3"), normalized={"en2": 0.1, "en3": 0.08}, terms=("environ",), blind=blind)
    found = merge(dense, lexical, k=2, query_vector=[1.0, 0.0], fetch=_fetch)
    assert [c.chunk_id for c in found] == top
    assert all(c.lexical is not None for c in found)
