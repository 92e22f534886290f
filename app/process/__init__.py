"""How a process running the app is tuned: glibc's malloc arenas (`allocator.py`), numpy's BLAS threads
(`blas.py`) and the settled start-up heap of a serving process (`heap.py`). App root: the entry points (CLI,
Streamlit, `serve`, the benches) call these, never a library part.

`tune_process` is the one call an entry point makes before it builds the service; it applies both caps in the
order that matters (arenas first: threads made before the cap keep their arenas).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.process.allocator import ArenaCap, HeapFigures, heap_figures, limit_malloc_arenas
from app.process.blas import limit_blas_threads
from app.process.heap import settle_heap
from app.settings import Settings


@dataclass(frozen=True)
class ProcessTuning:
    """What tune_process did: the arena cap (or why it left glibc alone) and the BLAS pool size after it."""

    arenas: ArenaCap
    blas_threads: int | None


def tune_process(settings: Settings) -> ProcessTuning:
    """Cap glibc's malloc arenas at `settings.malloc_arena_max`, then numpy's BLAS threads at
    `settings.blas_threads`. Safe to call again (each cap is idempotent)."""
    arenas = limit_malloc_arenas(settings.malloc_arena_max)
    return ProcessTuning(arenas=arenas, blas_threads=limit_blas_threads(settings.blas_threads))


__all__ = [
    "ArenaCap",
    "HeapFigures",
    "ProcessTuning",
    "heap_figures",
    "limit_blas_threads",
    "limit_malloc_arenas",
    "settle_heap",
    "tune_process",
]
