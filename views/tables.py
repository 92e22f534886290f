"""View layer: the one way the pages show a table of rows that may quote untrusted text.

st.dataframe draws cells as given, and a browser obeys bidirectional controls in them (app/bidi.py), so every
table goes through `table`, which shows them as escapes (views/text.py). tests/test_architecture.py keeps
st.dataframe to this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from views.text import visible_rows


def table(rows: Sequence[Mapping[str, Any]], **options: Any) -> None:
    """`rows` as a full-width table without an index; `options` go to st.dataframe (key, column_config)."""
    st.dataframe(pd.DataFrame(visible_rows(rows)), hide_index=True, width="stretch", **options)
