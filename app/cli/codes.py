"""The exit codes every `guarded-rag` command returns: 0 done, 1 failed (the message says why), 2 bad usage."""

from __future__ import annotations

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
