"""An error as a user reads it: one short line, whatever body the server or a proxy sent."""

from __future__ import annotations

import httpx
import ollama

from chains.error_text import ERROR_LINE_CHARS, clean_error_text, short_error

PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body {color: red}</style></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>" + "x" * 10_000_000 + "</body></html>"
)


def test_an_html_page_becomes_its_title_with_the_status():
    assert short_error(ollama.ResponseError(PAGE, 502)) == "HTTP 502: 502 Bad Gateway"


def test_a_page_without_a_title_gives_its_first_line_of_text_without_tags_or_scripts():
    page = (
        "<html><head><script>alert('<b>')</script></head><body><p>Upstream &amp; <b>proxy</b> failed</p><p>more</p></body></html>"
    )
    assert short_error(ollama.ResponseError(page, 500)) == "HTTP 500: Upstream & proxy failed"


def test_ollamas_own_error_is_kept_in_its_words():
    body = '{"error":"model requires more system memory (5.6 GiB) than is available (3.1 GiB)"}'
    assert short_error(ollama.ResponseError(body, 500)) == (
        "HTTP 500: model requires more system memory (5.6 GiB) than is available (3.1 GiB)"
    )
    # an error line inside a stream has no HTTP status (-1): no status is made up
    assert short_error(ollama.ResponseError("out of memory")) == "out of memory"


def test_other_errors_keep_their_first_line_and_say_their_type_when_they_say_nothing():
    assert short_error(httpx.ConnectError("[Errno 111] Connection refused")) == "[Errno 111] Connection refused"
    assert short_error(ValueError("first line\n  Traceback (most recent call last): ...")) == "first line"
    assert short_error(TimeoutError()) == "TimeoutError"
    request = httpx.Request("GET", "http://h/api/tags")
    status = httpx.HTTPStatusError("Server error '503 Service Unavailable'", request=request, response=httpx.Response(503))
    assert short_error(status) == "HTTP 503: Server error '503 Service Unavailable'"


def test_a_long_line_is_capped_and_control_characters_go():
    line = clean_error_text("\n\n  " + "y" * 5000)
    assert len(line) == ERROR_LINE_CHARS and line.endswith("…")
    assert clean_error_text("red \x1b[31malert\u202e here\r\nnext") == "red [31malert here"
    assert clean_error_text("<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>") == "alert(1)"
    assert clean_error_text("") == "" and clean_error_text("<html><body></body></html>") == ""
