"""LexicalIndex on its own: BM25 ranking and normalisation, and how it stays consistent with its store
(persisted with a fingerprint; rebuilt from the store when missing, stale, corrupt or from another tokenizer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.documents.lexical import ChunkRows, LexicalIndex
from app.documents.lexical_file import fingerprint
from app.documents.lexical_scoring import _idf

ROWS = [
    ("c1", "env.md", "OLLAMA_KEEP_ALIVE 控制模型空闲后在内存中保留多久，默认 5 分钟。"),
    ("c2", "env.md", "OLLAMA_NUM_PARALLEL 决定同一模型能并行处理几个请求。"),
    ("c3", "install.md", "The server listens on port 11434. Set OLLAMA_HOST to change it."),
    ("c4", "bread.md", "Bake bread with flour, water and yeast for forty minutes."),
    ("c5", "api.md", 'A request for a missing model returns HTTP 404: "model not found, try pulling it first".'),
]


class Store:
    """A fake vector store: the rows it holds, and how often LexicalIndex read them all."""

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.rows = list(rows)
        self.full_reads = 0

    def chunk_rows(self) -> ChunkRows:
        def rows():
            self.full_reads += 1
            return list(self.rows)

        return ChunkRows(lambda: [r[0] for r in self.rows], rows)


def make(tmp_path: Path, rows=ROWS) -> tuple[LexicalIndex, Store]:
    store = Store(rows)
    return LexicalIndex(tmp_path / "lexical" / "docs.json", store.chunk_rows()), store


@pytest.mark.parametrize(
    ("query", "best"),
    [
        ("What does OLLAMA_NUM_PARALLEL do?", "c2"),
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "c1"),
        ("which port, 11434?", "c3"),
        ("model not found, try pulling it first", "c5"),
        ("模型并行处理请求", "c2"),
        ("how long do I bake bread", "c4"),
    ],
)
def test_exact_terms_rank_first(tmp_path: Path, query: str, best: str) -> None:
    index, _ = make(tmp_path)
    result = index.search(query, 3)
    assert result.ranked[0] == best
    assert all(0.0 < v <= 1.0 for v in result.normalized.values())


def test_unknown_terms_lower_the_normalised_score(tmp_path: Path) -> None:
    index, _ = make(tmp_path)
    plain = index.search("OLLAMA_HOST port", 1).normalized["c3"]
    padded = index.search("OLLAMA_HOST port nginx kubernetes autoscaler", 1)
    assert set(padded.unknown) == {"nginx", "kubernet", "autoscal"}
    assert padded.normalized["c3"] < plain
    assert index.coverage("nginx port") == (("nginx", "port"), ("nginx",))


def test_no_known_term_finds_nothing(tmp_path: Path) -> None:
    index, _ = make(tmp_path)
    result = index.search("红烧肉怎么做", 5)
    assert result.ranked == () and result.normalized == {} and result.unknown


def test_persisted_index_is_reused_while_it_matches_the_store(tmp_path: Path) -> None:
    first, store = make(tmp_path)
    first.search("11434", 1)
    assert store.full_reads == 1  # built from the store once, then persisted
    data = json.loads((tmp_path / "lexical" / "docs.json").read_text(encoding="utf-8"))
    assert data["fingerprint"] == fingerprint(r[0] for r in ROWS)
    second = LexicalIndex(tmp_path / "lexical" / "docs.json", store.chunk_rows())
    assert second.search("11434", 1).ranked == ("c3",)
    assert store.full_reads == 1  # loaded from the file, not rebuilt


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.unlink(),
        lambda p: p.write_text("{half a file", encoding="utf-8"),
        lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "terms_version": "0"}), encoding="utf-8"),
        lambda p: p.write_text(json.dumps({**json.loads(p.read_text()), "fingerprint": "stale"}), encoding="utf-8"),
    ],
    ids=["missing", "corrupt", "other tokenizer", "stale"],
)
def test_missing_or_bad_file_is_rebuilt_from_the_store(tmp_path: Path, damage) -> None:
    first, store = make(tmp_path)
    first.search("11434", 1)
    damage(tmp_path / "lexical" / "docs.json")
    second = LexicalIndex(tmp_path / "lexical" / "docs.json", store.chunk_rows())
    assert second.search("11434", 1).ranked == ("c3",)
    assert store.full_reads == 2
    assert json.loads((tmp_path / "lexical" / "docs.json").read_text())["fingerprint"] == fingerprint(r[0] for r in ROWS)


def test_writes_replace_remove_clear(tmp_path: Path) -> None:
    index, _ = make(tmp_path)
    index.replace_source("bread.md", [("c9", "Sourdough needs a starter culture.")])
    assert "c4" not in index.search("bread flour yeast", 5).ranked
    assert index.search("sourdough starter", 1).ranked == ("c9",)
    index.remove_source("env.md")
    assert not index.knows(["c1"]) and index.knows(["c3", "c9"])
    index.flush()
    reloaded = json.loads((tmp_path / "lexical" / "docs.json").read_text())
    assert {c[0] for c in reloaded["chunks"]} == {"c3", "c5", "c9"}
    index.clear()
    assert len(index) == 0 and index.search("11434", 3).ranked == ()


def test_a_newer_file_from_another_process_is_picked_up(tmp_path: Path) -> None:
    reader, store = make(tmp_path)
    assert reader.search("sourdough", 1).ranked == ()
    writer = LexicalIndex(tmp_path / "lexical" / "docs.json", store.chunk_rows())
    writer.replace_source("bread.md", [("c9", "Sourdough needs a starter culture.")])
    writer.flush()
    assert reader.search("sourdough", 1).ranked == ("c9",)


def test_empty_store(tmp_path: Path) -> None:
    index, _ = make(tmp_path, rows=[])
    assert index.search("anything", 3).ranked == ()
    assert len(index) == 0


@pytest.mark.parametrize(
    ("query", "blind"),
    [
        # an English question reaches the Chinese chunks (c1, c2) through none of its words: fully blind
        ("how long do I bake bread", {"c1": 1.0, "c2": 1.0}),
        # through every one of them (the identifier and its parts occur in c2): not blind at all
        ("OLLAMA_NUM_PARALLEL?", {"c1": 0.0, "c2": 0.0}),
        # a Chinese question over the English chunks: no word of it occurs in them
        ("模型并行处理请求", {"c3": 1.0, "c4": 1.0, "c5": 1.0}),
    ],
)
def test_blind_share_of_the_other_language(tmp_path: Path, query: str, blind: dict[str, float]) -> None:
    index, _ = make(tmp_path)
    result = index.search(query, 3, also=[r[0] for r in ROWS])
    assert dict(result.blind) == blind  # chunks in the question's own language are never listed


def test_blind_share_is_the_idf_share_the_other_language_lacks(tmp_path: Path) -> None:
    index, _ = make(tmp_path)
    result = index.search("OLLAMA_NUM_PARALLEL bread", 3, also=["c1", "c2", "c3"])
    # "bread" occurs in no Chinese chunk: the share of its weight among the question's terms
    weights = {
        t: _idf(len(ROWS), df) for t, df in (("ollama_num_parallel", 1), ("ollama", 3), ("num", 1), ("parallel", 1), ("bread", 1))
    }
    assert set(result.blind) == {"c1", "c2"}
    assert result.blind["c1"] == pytest.approx(weights["bread"] / sum(weights.values()), abs=1e-4)
