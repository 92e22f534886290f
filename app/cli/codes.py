"""The exit codes every `guarded-rag` command returns: 0 done, 1 failed (the message says why), 2 bad usage,
130 interrupted (Ctrl-C), 141 the reader of its output went away (`| head`), as a shell reports a command killed
by SIGINT or SIGPIPE."""

from __future__ import annotations

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141
