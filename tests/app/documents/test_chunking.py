"""chunk_text: sentence boundaries in Chinese and English, headings, code fences, size limits, stable ids."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents.chunking import chunk_text


def test_empty_and_whitespace_give_no_chunks() -> None:
    assert chunk_text("", source="a.md") == []
    assert chunk_text("  \n\n\t \n", source="a.md") == []


def test_short_text_is_one_chunk_with_documented_id() -> None:
    [chunk] = chunk_text("Hello world. Second sentence.", source="docs/a.md")
    assert chunk.text == "Hello world. Second sentence."
    assert chunk.heading == "" and chunk.ordinal == 0 and chunk.start == 0
    expected = hashlib.sha256(b"docs/a.md\0Hello world. Second sentence.").hexdigest()[:16]
    assert chunk.chunk_id == expected


def test_english_sentences_are_never_cut() -> None:
    sentences = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(60)]
    chunks = chunk_text(" ".join(sentences), source="en.txt", target_chars=200, max_chars=400)
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk.text) <= 400
        assert chunk.text.startswith("Sentence number") and chunk.text.endswith("detail.")


def test_version_numbers_and_urls_do_not_end_sentences() -> None:
    text = "Use v1.2.3 from http://x.org/a?b=c today. " * 30
    for chunk in chunk_text(text, source="v.txt", target_chars=100, max_chars=200):
        assert chunk.text.endswith("today.")


def test_chinese_sentences_are_never_cut() -> None:
    sentences = [f"第{i}句话讲的是端口和服务的配置方法。" for i in range(40)]
    sentences += [f"这是问句{i}吗？" for i in range(20)] + [f"分号{i}；" for i in range(20)]
    chunks = chunk_text("".join(sentences), source="zh.md", target_chars=120, max_chars=240)
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk.text) <= 240
        assert chunk.text[-1] in "。？；"


def test_consecutive_chunks_overlap_by_one_sentence() -> None:
    sentences = [f"这是第{i:02d}句。" for i in range(50)]
    chunks = chunk_text("".join(sentences), source="zh.md", target_chars=60, max_chars=120)
    for prev, nxt in itertools.pairwise(chunks):
        last = prev.text[prev.text.rindex("这是") :]
        assert nxt.text.startswith(last)
    covered = "".join(c.text for c in chunks)
    assert all(s in covered for s in sentences)


def test_headings_start_sections_and_prefix_the_path() -> None:
    text = "# Install\n\nIntro text.\n\n## Linux\n\nRun the script.\n\n## macOS\n\nDrag the app.\n\n# Use\n\nAsk it.\n"
    chunks = chunk_text(text, source="i.md")
    assert [c.heading for c in chunks] == ["Install", "Install > Linux", "Install > macOS", "Use"]
    assert chunks[1].text == "Install > Linux\nRun the script."
    assert text[chunks[1].start :].startswith("Run the script.")
    assert [c.ordinal for c in chunks] == [0, 1, 2, 3]


def test_hash_inside_code_fence_is_not_a_heading_and_fence_stays_whole() -> None:
    code = "```bash\n# not a heading\n" + "echo step; echo two. Done!\n" * 20 + "```"
    text = "# Setup\n\nBefore the code. " * 3 + "\n\n" + code + "\n\nAfter the code."
    chunks = chunk_text(text, source="c.md", target_chars=200, max_chars=900)
    assert {c.heading for c in chunks} == {"Setup"}
    holding = [c for c in chunks if "```bash" in c.text]
    assert len(holding) == 1 and code in holding[0].text


def test_oversized_code_fence_is_split_within_max() -> None:
    code = "```\n" + "".join(f"line {i} of a very long listing\n" for i in range(200)) + "```\n"
    chunks = chunk_text(code, source="big.md", target_chars=300, max_chars=500)
    assert len(chunks) > 5
    assert all(len(c.text) <= 500 for c in chunks)
    assert "line 0 of" in chunks[0].text and "line 199 of" in chunks[-1].text


def test_one_endless_cjk_sentence_is_hard_split() -> None:
    chunks = chunk_text("字" * 2000, source="x.txt", target_chars=500, max_chars=900)
    assert all(len(c.text) <= 900 for c in chunks)
    assert sum(len(c.text) for c in chunks) == 2000


def test_ids_are_stable_and_unique_even_for_repeated_text() -> None:
    text = "# A\n\nSame line.\n\n# A\n\nSame line.\n"
    first = chunk_text(text, source="r.md")
    assert [c.chunk_id for c in first] == [c.chunk_id for c in chunk_text(text, source="r.md")]
    assert len({c.chunk_id for c in first}) == 2
    assert first[0].chunk_id != chunk_text(text, source="other.md")[0].chunk_id


def test_crlf_is_normalised() -> None:
    assert chunk_text("A.\r\n\r\nB.", source="w.txt")[0].text == "A.\n\nB."


def test_rejects_inconsistent_sizes() -> None:
    with pytest.raises(ValueError):
        chunk_text("x", source="s", target_chars=900, max_chars=500)


_ALPHABET = st.sampled_from([*list("abc 端口。！？；.!?;\n#`~-字"), "\n\n", "```", "# ", "## "])


@settings(max_examples=200, deadline=None)
@given(text=st.lists(_ALPHABET, max_size=600).map("".join), target=st.integers(50, 300), extra=st.integers(0, 300))
def test_properties_hold_for_any_text(text: str, target: int, extra: int) -> None:
    max_chars = target + extra
    chunks = chunk_text(text, source="p.md", target_chars=target, max_chars=max_chars)
    assert all(0 < len(c.text) <= max_chars for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(c.text.strip() for c in chunks)
