"""glibc malloc for a long-running process: cap the number of malloc arenas, and read the heap's figures.

App root: called by the entry points (CLI, Streamlit, bench) before the service is built; never by a library
part. A no-op anywhere but glibc (macOS, musl, Windows).

Why: glibc gives a new thread an arena no live thread is using, making new ones up to 8 per core, and each arena
keeps what is freed in it for reuse instead of giving it back. This app runs every Chroma call and every model
generation on a short-lived thread (app/deadline.py, app/embedded/pump.py), so work rotates through all the
arenas and each keeps a floor of freed memory after its peak: measured with the soak's traffic and the embedded
model, 16 arenas on 2 cores held 103 -> 192 MB of freed memory after 9 minutes while the memory in use stayed at
100-107 MB; capped at 2 arenas they held 45-70 MB and RSS went flat (docs/DEPLOY.md). The cap is glibc's own
M_ARENA_MAX (the MALLOC_ARENA_MAX environment variable), applied in-process with mallopt(3) for processes started
without it. Hand-written with ctypes: no maintained package wraps mallopt/mallinfo2/malloc_info.
"""

from __future__ import annotations

import ctypes
import platform
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

M_ARENA_MAX = -8  # <malloc.h>
_MB = 2**20


@dataclass(frozen=True)
class ArenaCap:
    """What limit_malloc_arenas did: `applied` False with the reason when it left glibc alone."""

    applied: bool
    limit: int
    reason: str


@dataclass(frozen=True)
class HeapFigures:
    """glibc's view of the heap, in MB: `in_use` is what the program holds (Python, llama.cpp, Chroma, ...);
    `free_held` is memory freed but kept by the allocator; `mmapped` is large blocks mapped on their own."""

    arenas: int
    in_use: float
    free_held: float
    mmapped: float


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")
    ]


@cache
def _glibc() -> Any:
    """The C library when it is glibc, else None."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.open_memstream.restype = ctypes.c_void_p
    libc.open_memstream.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t)]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.free.argtypes = [ctypes.c_void_p]
    if hasattr(libc, "mallinfo2"):  # glibc >= 2.33
        libc.mallinfo2.restype = _MallInfo2
    return libc


def limit_malloc_arenas(limit: int) -> ArenaCap:
    """Caps glibc's malloc arenas at `limit` for this process (0 = leave glibc's default, 8 per core).

    Call it early: glibc fixes its limit once 8 arenas exist, and arenas created before the call stay."""
    libc = _glibc()
    if limit <= 0:
        return ArenaCap(applied=False, limit=0, reason="MALLOC_ARENA_MAX=0: glibc's default (8 arenas per core)")
    if libc is None:
        return ArenaCap(applied=False, limit=limit, reason="not glibc: its allocator has no arenas to cap")
    if libc.mallopt(M_ARENA_MAX, limit) != 1:
        return ArenaCap(applied=False, limit=limit, reason="mallopt(M_ARENA_MAX) refused the value")
    return ArenaCap(applied=True, limit=limit, reason=f"capped at {limit} in-process (mallopt M_ARENA_MAX)")


def heap_figures() -> HeapFigures | None:
    """The heap now (mallinfo2 and malloc_info(3)); None when not glibc or glibc is older than 2.33."""
    libc = _glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    info = libc.mallinfo2()
    return HeapFigures(
        arenas=_count_arenas(libc),
        in_use=round(info.uordblks / _MB, 1),
        free_held=round(info.fordblks / _MB, 1),
        mmapped=round(info.hblkhd / _MB, 1),
    )


def _count_arenas(libc: Any) -> int:
    """Arenas listed by malloc_info's XML (one <heap> each): mallinfo2 sums over arenas without counting them."""
    buf, size = ctypes.c_char_p(), ctypes.c_size_t()
    stream = libc.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not stream:
        return 0
    try:
        libc.malloc_info(0, stream)
    finally:
        libc.fclose(stream)  # flushes into buf
    try:
        return len(re.findall(rb"<heap nr=", ctypes.string_at(buf, size.value)))
    finally:
        libc.free(ctypes.cast(buf, ctypes.c_void_p))
