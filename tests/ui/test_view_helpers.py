"""Pure helpers of the view layer: safe markdown, highlighting, streaming JSON, diffs, uploads, i18n."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from views.i18n import EN, ZH, language_from_locale, translate
from views.text import highlight_md, partial_answer, repair_diff, safe_md, visible_bidi, visible_json, visible_rows
from views.uploads import check_upload, safe_filename, save_upload

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "![x](http://evil/x.png)",
        "[click](javascript:alert(1))",
        ":red[big] $x^2$ **b**",
        "<img src=x onerror=alert(1)>",
    ],
)
def test_safe_md_escapes_every_markup_character(hostile):
    out = safe_md(hostile)
    # every ASCII punctuation character is backslash-escaped, so nothing can form markup
    assert not re.search(r"(?<!\\)[<>\[\]()!*:$`]", out), out
    assert out.replace("\\", "").replace("\u200b", "") == hostile.replace("\\", "")


def test_safe_md_breaks_bare_autolinks():
    out = safe_md("http://evil.example/x https://a.b www.evil.org me@evil.org")
    assert "http:\u200b" not in out  # the colon is escaped first: "http\\:\u200b\\/\\/"
    assert "http\\:\u200b\\/\\/" in out and "https\\:\u200b" in out and "www\u200b\\." in out and "\\@\u200b" in out


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"])
def test_bidi_controls_are_shown_as_escapes_everywhere_text_is_rendered(control):
    """Trojan Source (CVE-2021-42574): a browser obeys these, so "txt.exe" behind U+202E reads "exe.txt"."""
    text = f"report{control}txt.exe"
    escape = f"\\u{ord(control):04x}"
    assert visible_bidi(text) == f"report{escape}txt.exe"
    assert safe_md(text) == "report" + "\\" + escape + "txt\\.exe"  # the escape's backslash is itself escaped
    assert control not in highlight_md(text, "report txt exe")
    assert visible_rows([{"q": text, "n": 3, "none": None}]) == [{"q": visible_bidi(text), "n": 3, "none": None}]
    assert visible_json({text: [text, 1, {"k": text}]}) == {
        visible_bidi(text): [visible_bidi(text), 1, {"k": visible_bidi(text)}]
    }


def test_right_to_left_text_without_controls_is_untouched():
    for text in ("שלום עולם", "مرحبا بالعالم", "Ollama 默认端口"):
        assert visible_bidi(text) == text


def test_safe_md_keeps_lines_and_blocks_code_indentation():
    assert safe_md("a\n    b") == "a  \nb"
    assert safe_md(None) == "" and safe_md("") == ""


def test_highlight_bolds_the_supporting_sentence_only():
    text = "# Ollama server\n\nOllama listens on port 11434 by default. Set OLLAMA_HOST to change it."
    out = highlight_md(text, "Ollama listens on port 11434 by default.")
    assert "**Ollama listens on port 11434 by default\\.**" in out
    assert "**Set" not in out
    assert highlight_md("<b>x</b>", None) == safe_md("<b>x</b>")


def test_highlight_is_safe_with_hostile_text():
    out = highlight_md("Port 11434 ![x](http://evil/x.png). Other.", "port 11434")
    assert not re.search(r"(?<!\\)[\[\]()<>]", out.replace("**", "")), out


def test_highlight_chinese_sentence():
    out = highlight_md("Ollama 默认监听 11434 端口。其他内容。", "Ollama 默认监听 11434 端口")
    assert "**Ollama 默认监听 11434 端口。**" in out


@pytest.mark.parametrize(
    ("buffer", "expected"),
    [
        ('{"ans', None),
        ('{"answer": "', ""),
        ('{"answer": "Ollama li', "Ollama li"),
        ('{"answer": "a\\nb\\u00', "a\nb"),
        ('{"answer": "say \\"hi\\" now", "citations": ["S1"]}', 'say "hi" now'),
        ('{"answer":"端口 11434', "端口 11434"),
    ],
)
def test_partial_answer(buffer, expected):
    assert partial_answer(buffer) == expected


def test_repair_diff():
    diff = repair_diff('Sure! {"answer": "x"}', '{"answer": "x"}')
    assert diff.startswith("--- raw model output") and '-Sure! {"answer": "x"}' in diff
    assert repair_diff("same", "same") == "" and repair_diff("x", None) == ""


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.exe", b"MZ", "type"),
        ("a", b"text", "type"),
        ("a.md", b"", "empty"),
        ("a.md", b"  \n", "empty"),
        ("a.txt", b"x\x00y", "binary"),
        ("a.pdf", b"nope", "not_pdf"),
        ("a.md", b"x" * 11, "too_large"),
    ],
)
def test_check_upload_problems(name, data, kind):
    problem = check_upload(name, data, max_bytes=10)
    assert problem is not None and problem.kind == kind


def test_the_upload_page_takes_every_type_ingest_reads():
    """The page refused .markdown (its own list: .md, .txt, .pdf) though ingest reads it."""
    assert check_upload("notes.markdown", b"# Notes\n\nBody.", max_bytes=100) is None
    assert safe_filename("notes.markdown") == "notes.markdown"


def test_check_upload_accepts_text_pdf_and_utf16():
    assert check_upload("a.MD", b"# hi", max_bytes=100) is None
    assert check_upload("a.pdf", b"%PDF-1.7 ...", max_bytes=100) is None
    assert check_upload("a.txt", "hi".encode("utf-16"), max_bytes=100) is None
    for codec in ("utf-32", "utf-32-be", "utf-16-be"):  # big-endian: the mark must be written by hand
        assert check_upload("a.txt", ("\ufeffhi" if codec != "utf-32" else "hi").encode(codec), max_bytes=100) is None
    for codec in ("utf-16-le", "utf-16-be"):  # no mark at all (Windows tools): the same sniff as ingest's
        assert check_upload("a.txt", "Port 11434\n端口".encode(codec), max_bytes=100) is None
    assert check_upload("a.txt", b"abc\x00\x01\x02" * 10, max_bytes=100).kind == "binary"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\x.txt", "x.txt"),
        (".hidden.md", "hidden.md"),
        ("a b<>|.md", "a_b.md"),
        ("笔记.md", "笔记.md"),
        ("noext", "noext.txt"),
        ("..", "upload.txt"),
        ("x.PDF", "x.pdf"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_a_long_chinese_upload_name_fits_the_file_system(tmp_path):
    """Names were cut to 100 characters, but file systems count bytes (255 on Linux): 60 × 数据 is 360 bytes of
    UTF-8 and the save failed with 'File name too long'."""
    name = safe_filename("数据" * 60 + ".md")
    assert name.endswith(".md") and name.startswith("数据") and len(name.encode("utf-8")) <= 200
    path = save_upload(tmp_path, "数据" * 60 + ".md", b"# x\n\ntext")
    assert path.exists() and path.name == name
    assert safe_filename("a" * 300 + ".md") == "a" * 97 + ".md"  # ASCII: the character limit, as before


def test_save_upload_stays_in_the_uploads_folder(tmp_path):
    path = save_upload(tmp_path, "../../../escape.md", b"# x\n\ntext")
    assert path.parent == (tmp_path / "uploads").resolve() and path.read_bytes() == b"# x\n\ntext"


def test_i18n_languages_have_the_same_keys_and_every_used_key_exists():
    assert set(EN) == set(ZH)
    used = set()
    for path in [ROOT / "streamlit_app.py", *(ROOT / "views").glob("*.py")]:
        used |= set(re.findall(r"\bt\(\"([a-z_.]+)\"", path.read_text(encoding="utf-8")))
    assert used and not (used - set(EN)), used - set(EN)
    for prefix in ("status.", "step.", "guard_desc.", "upload.", "banner."):
        assert any(k.startswith(prefix) for k in EN)


def test_language_default_and_fallback():
    assert language_from_locale("zh-CN") == "zh" and language_from_locale("en-US") == "en" and language_from_locale(None) == "en"
    assert translate("zh", "status.answered") == "已回答"
    assert translate("zh", "missing.key", default="x") == "x"


def test_highlight_short_answer_inside_a_long_chinese_sentence():
    text = "默认端口与监听地址\nOllama 默认监听 11434 端口，并且只绑定在本机回环地址上，也就是 `127.0.0.1:11434`。这意味着其他电脑无法连接。"
    out = highlight_md(text, "127.0.0.1:11434")
    assert out.count("**") == 2 and "11434 端口" in out.split("**")[1]
    assert highlight_md("Nothing relevant here. At all.", "port 11434") == safe_md("Nothing relevant here. At all.")
