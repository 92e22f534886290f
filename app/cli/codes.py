"""The exit codes every `guarded-rag` command returns: 0 done, 1 failed (the message says why), 2 bad usage,
130 interrupted (Ctrl-C), 141 the reader of its output went away (`| head`), as a shell reports a command killed
by SIGINT or SIGPIPE.

A path the command was given that it cannot use is bad usage, 2, whichever command and however it was given: a
file or folder that does not exist, cannot be read or cannot be written, named as an argument (`eval FILE.jsonl`, a
missing `ingest PATH`), an option (`--out`, `--jsonl`, `--policy`, `--config`, `serve --profile`) or a variable
(GUARDED_RAG_POLICY, GUARDED_RAG_DOCS_DIR). A file that fails while it is being read or written (the disk full, an
I/O error) is a failure, 1. `doctor` lists such a path among the problems it found (1); `ingest` lists a file or
folder it cannot read as skipped and indexes the rest (0)."""

from __future__ import annotations

import errno

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141

_PATH_ERRNOS = frozenset(
    {
        errno.ENOENT,  # no such file or folder
        errno.ENOTDIR,  # a file where a folder is on the way
        errno.EISDIR,  # a folder where a file is expected
        errno.EACCES,  # permission denied
        errno.EPERM,
        errno.ELOOP,  # a symbolic link refused (or a loop of them)
        errno.ENAMETOOLONG,
        errno.EROFS,  # a read-only file system
        errno.EEXIST,
    }
)


def path_exit_code(exc: OSError) -> int:
    """The exit code for a file a command was given that failed with `exc`: EXIT_USAGE when the path itself is
    the problem (missing, a folder, not permitted), EXIT_FAIL when reading or writing it failed (ENOSPC, EIO)."""
    return EXIT_USAGE if exc.errno in _PATH_ERRNOS else EXIT_FAIL
