"""The bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069).

Not markup and not terminal commands, but terminals and browsers obey them: they reorder what is displayed
("Trojan Source", CVE-2021-42574), so a quoted passage, a stored question or a model reply could display as
something it does not say. Plain right-to-left text does not need them. One listing for the two places that show
them as escapes instead: the CLI (app/cli/terminal.py) and the Streamlit views (views/text.py).
"""

from __future__ import annotations

BIDI_CONTROLS: tuple[int, ...] = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
