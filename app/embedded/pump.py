"""Runs a blocking generator (the engine) on its own thread so the transport can apply read timeouts.

In-process transports bypass httpcore, so nothing else would enforce the client's timeout; reading
through a queue with a deadline gives the embedded backend the same httpx.ReadTimeout as real Ollama.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from app.embedded.events import STOP_REQUESTED

T = TypeVar("T")
THREAD_NAME = "embedded-ollama"


def generation_running() -> bool:
    """Whether a pump thread of this process is still alive: a generation a timed-out client abandoned may still
    be inside llama.cpp, where Python cannot stop it. Letting the interpreter finalise around such a thread
    kills the process with SIGSEGV (2 of 6 `ask` runs after an embedded timeout, measured), so a command-line
    process ends with os._exit instead (app.cli.entry). Reads the interpreter's own thread list: no registry."""
    return any(t.name == THREAD_NAME and t.is_alive() for t in threading.enumerate())


class PumpTimeout(Exception):
    """No event arrived within the read timeout."""


@dataclass(frozen=True)
class Item(Generic[T]):
    value: T


@dataclass(frozen=True)
class Failed:
    error: BaseException


@dataclass(frozen=True)
class Ended:
    pass


Event = Item[T] | Failed | Ended


class Pump(Generic[T]):
    """One producer thread per request; `cancel()` stops it at the next event it produces."""

    def __init__(self, produce: Callable[[], Iterator[T]], *, name: str = THREAD_NAME) -> None:
        self._produce = produce
        self._queue: queue.Queue[Event[T]] = queue.Queue()
        self._cancelled = threading.Event()
        # Daemon: a generation abandoned by a timed-out client must not keep the process alive.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def get(self, timeout: float | None) -> Event[T]:
        """The next event; raises PumpTimeout when none arrives within `timeout` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            raise PumpTimeout(f"no data from the embedded model within {timeout} s") from None

    def cancel(self) -> None:
        self._cancelled.set()

    def _run(self) -> None:
        iterator: Iterator[T] | None = None
        STOP_REQUESTED.set(self._cancelled.is_set)  # this thread's own context: the engine stops mid-prompt too
        try:
            iterator = self._produce()
            for value in iterator:
                if self._cancelled.is_set():
                    break
                self._queue.put(Item(value))
            self._queue.put(Ended())
        except BaseException as exc:
            self._queue.put(Failed(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # releases the engine lock held inside the generator
