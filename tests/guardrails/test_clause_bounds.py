"""clause_bounds: what each named clause boundary cuts (zh + en) — the base every sentence-reading check shares, a
negation's scope (marking.py) and a relation's halves in a passage line (paired_senses.py)."""

from __future__ import annotations

import re

import pytest

from guardrails.clause_bounds import CLAUSE_END, NEGATION_SCOPE_END, RELATION_HALVES


def _pieces(boundary: re.Pattern[str], text: str) -> list[str]:
    return [p.strip() for p in boundary.split(text) if p.strip()]


@pytest.mark.parametrize(
    ("boundary", "text", "pieces"),
    [
        # The base: clause punctuation, a comma before a space, a spaced or long dash.
        (CLAUSE_END, "Q4 比 Q8 小，因此加载更快", ["Q4 比 Q8 小", "因此加载更快"]),
        (CLAUSE_END, "模型、显卡：都要检查（可选）", ["模型", "显卡", "都要检查", "可选"]),
        (CLAUSE_END, "Q4 is smaller, so it loads faster", ["Q4 is smaller", "so it loads faster"]),
        (CLAUSE_END, "a context of 2,048 tokens", ["a context of 2,048 tokens"]),
        (CLAUSE_END, "multi-turn chat - one model", ["multi-turn chat", "one model"]),
        (CLAUSE_END, "A overrides B—always", ["A overrides B", "always"]),
        (CLAUSE_END, "A is faster than B and B is slower", ["A is faster than B and B is slower"]),
        (CLAUSE_END, "更快的话就用 Q4", ["更快的话就用 Q4"]),
        # A sentence's own end mark (sentences.py keeps it) ends no clause inside it.
        (CLAUSE_END, "Does it stop?", ["Does it stop?"]),
        (CLAUSE_END, "无法连接；", ["无法连接；"]),
        # A negation's scope: the base, a table's cell bar, 的话 and "because" (not after not / n't).
        (NEGATION_SCOPE_END, "不匹配的话输出会异常", ["不匹配", "输出会异常"]),
        (NEGATION_SCOPE_END, "| `SYSTEM` | no | system message |", ["`SYSTEM`", "no", "system message"]),
        (NEGATION_SCOPE_END, "never write one because FROM inherits it", ["never write one", "FROM inherits it"]),
        (NEGATION_SCOPE_END, "not because FROM inherits it", ["not because FROM inherits it"]),
        (NEGATION_SCOPE_END, "don't because it fails", ["don't because it fails"]),
        (NEGATION_SCOPE_END, "不会删除，只会卸载", ["不会删除", "只会卸载"]),
        (NEGATION_SCOPE_END, "not in 2,048 tokens, but more", ["not in 2,048 tokens", "but more"]),
        # A relation's halves: the base, semicolons, any English comma, and the conjunctions.
        (RELATION_HALVES, "块太大，混入无关内容；块太小，丢失上下文", ["块太大", "混入无关内容", "块太小", "丢失上下文"]),
        (RELATION_HALVES, "块太大,丢失上下文", ["块太大", "丢失上下文"]),
        (
            RELATION_HALVES,
            "too large loses context and too small adds noise",
            ["too large loses context", "too small adds noise"],
        ),
        (RELATION_HALVES, "higher is faster But lower is safer", ["higher is faster", "lower is safer"]),
        (RELATION_HALVES, "块太大会丢失上下文而块太小会混入噪声", ["块太大会丢失上下文", "块太小会混入噪声"]),
        (RELATION_HALVES, "lower values give more conservative text", ["lower values give more conservative text"]),
        (RELATION_HALVES, "brandnew ordering android", ["brandnew ordering android"]),
    ],
)
def test_what_each_boundary_cuts(boundary: re.Pattern[str], text: str, pieces: list[str]) -> None:
    assert _pieces(boundary, text) == pieces
