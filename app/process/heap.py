"""The long-running processes' heap after start-up: what was built to serve (chromadb, LangChain, pydantic
schemas, the model and the index client) is moved out of the cyclic garbage collector's reach. App root, called
by the entry points that serve many questions (`guarded-rag serve`, the Streamlit app) once their service is
warm; a one-shot CLI command does not need it.

Why: a full (generation 2) collection walks every tracked object; with the app's start-up heap that is one
pause of ~120-145 ms every few hundred questions, landing on whichever request triggers it (measured with
bench_guard_overhead's set-up: 144 ms before, 4.6 ms after). `gc.freeze()` is the standard library's tool for
exactly this: frozen objects are never collected, and they were going to live as long as the process anyway.
"""

from __future__ import annotations

import gc


def settle_heap() -> int:
    """Collect once, then freeze what survives (everything start-up built). Returns how many objects are frozen.
    Safe to call again later (e.g. after a lazily loaded model): it freezes what has been built since."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
