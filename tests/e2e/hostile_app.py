"""A tiny Streamlit script for the e2e safety check: hostile text through the app's own render helpers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from views.text import highlight_md, safe_md

HOSTILE = (
    "<script>document.title='pwned'</script> <img src=x onerror=\"document.title='pwned'\"> "
    "![x](http://evil.example/x.png) [click](javascript:alert(1)) http://evil.example/bare www.evil.example "
    "me@evil.example :red[red] $x^2$ **bold** `code`"
)
st.markdown(safe_md(HOSTILE))
st.markdown(highlight_md(HOSTILE + ". Ollama listens on port 11434.", "Ollama listens on port 11434"))
st.caption("rendered")
