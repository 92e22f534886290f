"""Trace ids: random version-4 UUIDs from a buffered os.urandom, unique across refills and across a fork."""

from __future__ import annotations

import os
import uuid

import pytest

from app.ids import TraceIds


def test_ids_are_version_4_uuid_hex_and_unique_across_refills():
    ids = TraceIds(batch=4)
    drawn = [ids.next() for _ in range(50)]  # 12 refills of a 4-id buffer
    assert len(set(drawn)) == 50
    for hex_id in drawn:
        parsed = uuid.UUID(hex=hex_id)
        assert parsed.hex == hex_id and parsed.version == 4 and parsed.variant == uuid.RFC_4122


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_repeat_the_parents_ids():
    ids = TraceIds(batch=64)
    ids.next()  # the buffer is filled before the fork, as in a server that forks workers after serving
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        try:
            os.write(write, "".join(ids.next() for _ in range(8)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    parent = "".join(ids.next() for _ in range(8))
    child_ids = {child[i : i + 32] for i in range(0, len(child), 32)}
    assert len(child_ids) == 8
    assert child_ids.isdisjoint(parent[i : i + 32] for i in range(0, len(parent), 32))
