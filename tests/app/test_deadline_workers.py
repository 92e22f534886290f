"""app.deadline.Deadlines: calls with a deadline on daemon threads, and (keep_idle) the worker threads kept
between calls on a hot path. Real threads, short real waits; nothing is mocked."""

from __future__ import annotations

import os
import threading
import time

import pytest

from app.deadline import DeadlineExceeded, Deadlines, NoSlotLeft

# How long a call that should finish at once may take on a loaded CI box: a hang still fails, a slow start does not.
SLACK = 10.0


def runner() -> threading.Thread:
    return threading.current_thread()


@pytest.mark.parametrize("keep_idle", [0, 2])
def test_a_call_returns_its_value_or_raises_its_own_error(keep_idle: int) -> None:
    d = Deadlines("t", keep_idle=keep_idle)
    assert d.call(lambda: 42, seconds=SLACK, what="answer") == 42
    with pytest.raises(KeyError, match="missing"):
        d.call(lambda: {}["missing"], seconds=SLACK, what="lookup")
    assert d.in_flight == 0


def test_without_keep_idle_every_call_gets_a_new_thread() -> None:
    d = Deadlines("t")
    first, second = d.call(runner, seconds=SLACK, what="a"), d.call(runner, seconds=SLACK, what="b")
    assert first is not second and first is not threading.current_thread()
    assert d.idle_workers == 0


def test_a_kept_worker_runs_the_next_call_and_is_named_after_it() -> None:
    d = Deadlines("chroma:x", keep_idle=1)
    first = d.call(runner, seconds=SLACK, what="query")
    deadline = time.monotonic() + SLACK
    while d.idle_workers == 0 and time.monotonic() < deadline:  # the worker rests just after its call returns
        time.sleep(0.001)
    second = d.call(lambda: (threading.current_thread(), threading.current_thread().name), seconds=SLACK, what="get")
    assert second[0] is first and second[1] == "chroma:x:get"


def test_no_more_workers_are_kept_than_asked_for() -> None:
    d = Deadlines("t", keep_idle=2)
    gate = threading.Barrier(5)
    workers: list[threading.Thread] = []

    def meet() -> None:
        workers.append(threading.current_thread())
        gate.wait(SLACK)

    callers = [threading.Thread(target=d.call, args=(meet,), kwargs={"seconds": SLACK, "what": "w"}) for _ in range(4)]
    for c in callers:
        c.start()
    gate.wait(SLACK)  # all four calls run at once, on four threads
    for c in callers:
        c.join(SLACK)
    assert len(set(workers)) == 4 and d.in_flight == 0
    # A worker rests (kept) or exits after its caller has its answer: wait for the two beyond the cap to exit
    # rather than sleeping and hoping every worker has got that far.
    deadline = time.monotonic() + SLACK
    while sum(w.is_alive() for w in workers) > 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert sum(w.is_alive() for w in workers) == 2 and d.idle_workers == 2


def test_an_idle_worker_exits_after_idle_seconds() -> None:
    d = Deadlines("t", keep_idle=1, idle_seconds=0.1)
    worker = d.call(runner, seconds=SLACK, what="a")
    worker.join(SLACK)
    assert not worker.is_alive() and d.idle_workers == 0
    assert d.call(lambda: "fresh", seconds=SLACK, what="b") == "fresh"  # the next call starts a new one


def test_a_stuck_call_times_out_keeps_its_slot_and_the_next_call_still_runs() -> None:
    release = threading.Event()
    d = Deadlines("t", max_in_flight=2, keep_idle=2)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"did not finish within 0\.2 s"):
        d.call(lambda: release.wait(60), seconds=0.2, what="stuck")
    assert time.monotonic() - started < 5.0  # at its deadline, not when the stuck call ends (60 s)
    assert d.in_flight == 1  # the abandoned call still holds its slot
    assert d.call(lambda: "ok", seconds=SLACK, what="next") == "ok"
    with pytest.raises(DeadlineExceeded):
        d.call(lambda: release.wait(60), seconds=0.2, what="stuck again")
    with pytest.raises(NoSlotLeft, match="all 2 t call slots are taken"):  # both slots held by stuck calls
        d.call(lambda: "never", seconds=0.2, what="third")
    release.set()
    deadline = time.monotonic() + SLACK
    while d.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    assert d.in_flight == 0 and d.call(lambda: "after", seconds=SLACK, what="after") == "after"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_hand_its_calls_to_the_parents_workers() -> None:
    d = Deadlines("t", keep_idle=1)
    d.call(runner, seconds=SLACK, what="warm")
    deadline = time.monotonic() + SLACK
    while d.idle_workers == 0 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert d.idle_workers == 1
    pid = os.fork()
    if pid == 0:  # the child: the kept worker's thread does not exist here
        try:
            code = 0 if d.call(lambda: "child", seconds=SLACK, what="in child") == "child" else 1
        except BaseException:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
