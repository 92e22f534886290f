"""A second Ctrl-C forces `serve`'s exit: the log says so in one plain line, not with tracebacks.

Forced, uvicorn skips the app's lifespan shutdown (the app's forced one runs instead, server.py), and as the event
loop closes asyncio cancels what still runs: the lifespan task (starlette sends its CancelledError traceback's
text as lifespan.shutdown.failed, which uvicorn logs at ERROR) and any request still running (uvicorn's run_asgi
logs "Exception in ASGI application" with the CancelledError). Those tracebacks are the exit itself, not a bug:
while the forced exit lasts they are demoted to DEBUG (still seen with `--log-level debug`); every other record,
any other exception's traceback included, passes as it is.
"""

from __future__ import annotations

import asyncio
import logging

UVICORN_LOG = "uvicorn.error"  # uvicorn's protocols, its lifespan and its server log here
FORCED_EXIT_LINE = "forced exit: %d request(s) cut off, their questions withdrawn and traced"
_TRACEBACK_START = "Traceback (most recent call last):"
_CANCELLED_NAMES = ("asyncio.exceptions.CancelledError", "asyncio.CancelledError", "CancelledError")


def _cancelled(exc: BaseException | None) -> bool:
    """A CancelledError, or a group of nothing else (an anyio task group's)."""
    if isinstance(exc, asyncio.CancelledError):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return exc.split(asyncio.CancelledError)[1] is None
    return False


def is_cancellation(record: logging.LogRecord) -> bool:
    """An error record whose traceback ends in a CancelledError: with the exception attached (run_asgi, uvicorn's
    lifespan), or as the message's text (starlette's lifespan.shutdown.failed)."""
    if record.levelno < logging.ERROR:
        return False
    if record.exc_info:
        return _cancelled(record.exc_info[1])
    text = record.msg if isinstance(record.msg, str) else ""
    if not text.startswith(_TRACEBACK_START):
        return False
    last = text.rstrip().rsplit("\n", 1)[-1]
    return last.split(":", 1)[0].strip() in _CANCELLED_NAMES


class CancellationsToDebug(logging.Filter):
    """On uvicorn's error logger while a forced exit lasts: cancellation tracebacks become DEBUG records."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger

    def filter(self, record: logging.LogRecord) -> bool:
        if not is_cancellation(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return self._logger.isEnabledFor(logging.DEBUG)


class ForcedExitLog:
    """`begin()` when the exit is forced; `say(n)` once the app's forced shutdown is done, `n` the requests that were
    still running when it was forced; `end()` once the event loop is closed (its last cancellations logged)."""

    def __init__(self, logger_name: str = UVICORN_LOG) -> None:
        self._logger = logging.getLogger(logger_name)
        self._filter: CancellationsToDebug | None = None

    def begin(self) -> None:
        if self._filter is None:
            self._filter = CancellationsToDebug(self._logger)
            self._logger.addFilter(self._filter)

    def say(self, cut_off: int) -> None:
        self._logger.warning(FORCED_EXIT_LINE, cut_off)

    def end(self) -> None:
        if self._filter is not None:
            self._logger.removeFilter(self._filter)
            self._filter = None
