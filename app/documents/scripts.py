"""What BM25 can see across languages: which chunks are Chinese, which words each language's chunks use, and how
much of a question's BM25 vote a chunk in the other language could never receive.

App layer, pure, used by the lexical index. A chunk counts as Chinese when one of its index terms has a CJK
character, as a question does for the relevance check (guardrails.text.has_cjk). A question reaches a chunk in
the other language only through the terms that language's chunks use too (identifiers, names, numbers, a Latin
word inside Chinese text); its `sight` of that language is the IDF share of those terms in the question, the
IDF every term brings to the normalised BM25 score (an unknown term included). Reciprocal rank fusion casts the
rest of BM25's vote for such a chunk, when BM25 did not rank it, at its vector rank (app.documents.fusion).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from guardrails.text import has_cjk


def chinese(terms: Iterable[str]) -> bool:
    """Whether a chunk with these index terms is a Chinese chunk (one CJK term is enough)."""
    return any(has_cjk(t) for t in terms)


@dataclass(frozen=True)
class Scripts:
    """The Chinese chunks of an index and the terms used by its Chinese and by its other chunks."""

    chinese_ids: frozenset[str]
    vocab_zh: frozenset[str]
    vocab_other: frozenset[str]

    @classmethod
    def of(cls, chunks: Mapping[str, Iterable[str]]) -> Scripts:
        ids: set[str] = set()
        zh: set[str] = set()
        other: set[str] = set()
        for cid, terms in chunks.items():
            kept = set(terms)
            if chinese(kept):
                ids.add(cid)
                zh |= kept
            else:
                other |= kept
        return cls(frozenset(ids), frozenset(zh), frozenset(other))

    def blind(self, query: str, weights: Mapping[str, float], candidates: Iterable[str]) -> dict[str, float]:
        """Chunk id -> the share of the question's BM25 vote it cannot receive, for each of `candidates` in the
        other language than `query`: 1 - the weight share (`weights`: each question term's IDF) of the question's
        terms that chunks of that language use. Empty when the question has no weight."""
        total = sum(weights.values())
        if total <= 0:
            return {}
        zh = has_cjk(query)
        vocab = self.vocab_other if zh else self.vocab_zh
        sight = sum(w for t, w in weights.items() if t in vocab) / total
        return {cid: round(1.0 - sight, 4) for cid in candidates if (cid in self.chinese_ids) != zh}
