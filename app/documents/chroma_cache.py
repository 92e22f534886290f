"""chromadb's process-global client cache, which chromadb does not guard (measured, chromadb 1.5): `BUILD_LOCK`,
held while a client is built (or a directory's System evicted), and `forget_failed_system`, which evicts the
half-started System a failed open leaves behind. The one place that touches chromadb's private API."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

# Building PersistentClient for one path from several threads at once fails inside chromadb (AttributeError
# 'RustBindingsAPI' object has no attribute 'bindings', KeyError on the path): clients are built under this lock.
BUILD_LOCK = threading.Lock()


def forget_failed_system(path: Path) -> None:
    """chromadb caches a directory's System before starting it. When starting fails (a damaged chroma.sqlite3:
    "database disk image is malformed") the half-started System stays cached, and every later open of that
    directory in the process fails with AttributeError 'RustBindingsAPI' object has no attribute 'bindings'
    instead of the real cause (measured, chromadb 1.5); `ingest --rebuild` could then never reopen it. Evicting
    it is private API (chromadb offers only clear_system_cache, which would drop every directory's System).
    Called under BUILD_LOCK."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    if system is not None:
        with contextlib.suppress(Exception):
            system.stop()
