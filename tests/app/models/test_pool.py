"""The Ollama host pool's rules on a fake clock and a scripted probe: least in flight then round robin, a breaker
per host, a probe before an open host gets traffic again, a host without the model skipped with the pull hint."""

from __future__ import annotations

import pytest

from app.models.pool import HostPool, NoHostAvailable, ProbeVerdict
from app.models.pool_transport import AsyncPoolTransport

A, B, C = "http://a:11434", "http://b:11434", "http://c:11434"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(probe_answers: dict[str, ProbeVerdict] | None = None) -> tuple[HostPool, Clock, list[str]]:
    clock, probed = Clock(), []

    def probe(host: str, model: str) -> ProbeVerdict:
        probed.append(host)
        return (probe_answers or {}).get(host, ("ok", ""))

    return HostPool((A, B, C), failures=2, cooldown_s=30, probe=probe, clock=clock), clock, probed


def test_least_in_flight_then_round_robin() -> None:
    pool, _, _ = make()
    first = [pool.acquire("m", set()) for _ in range(3)]
    assert first == [A, B, C]  # all idle: round robin
    pool.release(B, ok=True)
    assert pool.acquire("m", set()) == B  # B has the fewest in flight
    for host in (A, B, C):
        pool.release(host, ok=True)
    assert [pool.acquire("m", set()) for _ in range(3)] == [C, A, B]  # idle again: the rotation goes on after B
    assert pool.acquire("m", {A, B}) == C  # hosts already tried for this request are not picked again


def test_a_failing_host_opens_its_breaker_and_a_probe_decides_when_it_comes_back() -> None:
    pool, clock, probed = make({A: ("down", "ConnectError")})
    for _ in range(2):
        assert pool.acquire("m", {B, C}) == A
        pool.release(A, ok=False, error="ConnectError: refused")
    assert [s.state for s in pool.status()] == ["open", "ok", "ok"]
    picks = []
    for _ in range(6):
        picks.append(pool.acquire("m", set()))
        pool.release(picks[-1], ok=True)
    assert A not in picks and probed == []  # skipped while open, and no probe before the cooldown
    clock.now = 31
    with pytest.raises(NoHostAvailable, match="http://a:11434"):
        pool.acquire("m", {B, C})  # the probe says still down: A stays out, no user request is sent to it
    assert probed == [A]
    pool_ok, clock2, probed2 = make()
    for _ in range(2):
        pool_ok.acquire("m", {B, C})
        pool_ok.release(A, ok=False, error="ReadTimeout")
    clock2.now = 31
    assert pool_ok.acquire("m", {B, C}) == A and probed2 == [A]  # probe ok: back in rotation


def test_a_host_without_the_model_is_skipped_with_the_pull_hint_for_that_model_only() -> None:
    pool, clock, probed = make({B: ("no model", "")})
    assert pool.acquire("qwen", {A, C}) == B
    pool.release(B, ok=True, missing_model="qwen")
    status = {s.host: s for s in pool.status()}
    assert status[B].state == "no model" and "OLLAMA_HOST=http://b:11434 ollama pull qwen" in (status[B].last_error or "")
    with pytest.raises(NoHostAvailable, match="ollama pull qwen"):
        pool.acquire("qwen", {A, C})
    assert pool.acquire("other", {A, C}) == B  # another model is still served there
    clock.now = 31
    with pytest.raises(NoHostAvailable):
        pool.acquire("qwen", {A, C})  # re-probed after the cooldown: still not pulled
    assert probed == [B]


def test_no_host_left_says_why_for_each() -> None:
    pool, _, _ = make()
    for host in (A, B):
        for _ in range(2):
            pool.acquire("m", {x for x in (A, B, C) if x != host})
            pool.release(host, ok=False, error="ConnectError: refused")
    with pytest.raises(NoHostAvailable) as caught:
        pool.acquire("m", {C})
    message = str(caught.value)
    assert (
        "http://a:11434 skipped for 30 s more after 2 failures" in message and "http://c:11434 failed for this request" in message
    )


def test_an_attempt_its_caller_ends_is_no_longer_in_flight_and_counts_neither_way() -> None:
    """A request cancelled while it waited for a host's reply (an async deadline above the pool, a caller gone)
    left the host counted in flight for ever: least-in-flight then sent every later request elsewhere."""
    import asyncio

    import httpx

    from app.models.deadline import AsyncDeadlineTransport
    from app.models.pool_transport import PoolTransport
    from chains.errors import Cancelled
    from tests.stalled import stalled_server

    with stalled_server() as a, stalled_server() as b:
        pool = HostPool((a, b), failures=2, cooldown_s=30, probe=lambda host, model: ("ok", ""))
        pooled = AsyncPoolTransport(pool, httpx.AsyncHTTPTransport(), base_url=a, total_s=30.0)

        async def ask() -> None:
            async with httpx.AsyncClient(transport=AsyncDeadlineTransport(pooled, 0.4), timeout=5.0) as client:
                await client.post(a + "/api/chat", json={"model": "m", "messages": []})

        with pytest.raises(httpx.ReadTimeout):
            asyncio.run(ask())
    assert [(s.in_flight, s.failures, s.answered) for s in pool.status()] == [(0, 0, 0), (0, 0, 0)]

    class CallerGone(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            raise Cancelled()

    pool2, _, _ = make()
    with pytest.raises(Cancelled), httpx.Client(transport=PoolTransport(pool2, CallerGone(), base_url=A, total_s=5.0)) as c:
        c.post(A + "/api/chat", json={"model": "m"})
    assert [(s.in_flight, s.failures) for s in pool2.status()] == [(0, 0), (0, 0), (0, 0)]
