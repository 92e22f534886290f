"""The httpx transports under a ChatOllama, per backend, from the outside in: the total deadline of a reply, the
host pool (several Ollama hosts), chaos (fault drills), then the embedded engine answering in-process or the wire
with its reply-shape check."""

from __future__ import annotations

import random

import httpx

from app.embedded import AsyncEmbeddedOllamaTransport, ChatEngine, EmbeddedOllamaTransport
from app.models.chaos import AsyncChaosTransport, ChaosConfig, ChaosTransport, OnFault
from app.models.deadline import AsyncDeadlineTransport, DeadlineTransport, wire_transport
from app.models.factory_types import BackendKind
from app.models.host_pools import HostPools
from app.models.pool_transport import AsyncPoolTransport, PoolTransport
from app.models.reply_shape import AsyncReplyShapeTransport, ReplyShapeTransport
from app.settings import Settings

EMBEDDED_URL = "http://embedded.ollama"  # never resolved: the embedded transports answer in-process


def model_transports(
    kind: BackendKind,
    engine: ChatEngine,
    pools: HostPools,
    settings: Settings,
    *,
    chaos: ChaosConfig | None = None,
    rng_seed: int | None = None,
    on_fault: OnFault | None = None,
    total_s: float | None = None,
) -> tuple[str, httpx.BaseTransport, httpx.AsyncBaseTransport]:
    """(base_url, sync transport, async transport) for `kind` (the embedded one answered by `engine`), each bounding
    a whole reply to `total_s` (default: the per-question latency budget of `settings`; the client's own timeout
    is per read only). The pool of `pools` for `settings` is used when it names more than one Ollama host."""
    sync: httpx.BaseTransport
    async_: httpx.AsyncBaseTransport
    base_url = settings.ollama_host
    if kind == "embedded":
        base_url, sync, async_ = EMBEDDED_URL, EmbeddedOllamaTransport(engine), AsyncEmbeddedOllamaTransport(engine)
    else:  # the wire, its socket reads bounded by the deadline below; replies that are not Ollama's shape fail
        sync, async_ = ReplyShapeTransport(wire_transport()), AsyncReplyShapeTransport(httpx.AsyncHTTPTransport())
    if chaos is not None:
        # One rng for both twins: the fault sequence is the same whichever path ChatOllama takes.
        rng = random.Random(rng_seed if rng_seed is not None else chaos.seed)
        sync = ChaosTransport(sync, chaos, rng=rng, on_fault=on_fault)
        async_ = AsyncChaosTransport(async_, chaos, rng=rng, on_fault=on_fault)
    total = total_s if total_s is not None else settings.latency_budget
    if kind == "ollama" and len(settings.hosts) > 1:  # a pool: below the deadline, above the wire (and chaos)
        pool = pools.pool(settings)
        sync = PoolTransport(pool, sync, base_url=base_url, total_s=total)
        async_ = AsyncPoolTransport(pool, async_, base_url=base_url, total_s=total)
    return base_url, DeadlineTransport(sync, total), AsyncDeadlineTransport(async_, total)
