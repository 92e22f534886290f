"""settle_heap: what exists when it runs leaves the cyclic collector's generations (and nothing is lost)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from app import settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # back into the oldest generation: the rest of the suite sees a normal heap


def _tracked(obj: object) -> bool:
    return any(o is obj for gen in range(3) for o in gc.get_objects(generation=gen))


def test_start_up_objects_are_frozen_and_later_ones_are_not(unfrozen: None) -> None:
    built_at_start = {"parts": [object() for _ in range(3)]}
    assert _tracked(built_at_start)
    frozen = settle_heap()
    assert frozen >= 1 and not _tracked(built_at_start)
    assert built_at_start["parts"]  # still alive and usable: freezing only hides it from the collector
    later = {"request": []}
    assert _tracked(later)
    # A second call freezes what was built since. The count itself is no witness: frozen objects that die
    # in between (any temporary the interpreter or another thread drops) leave the permanent generation.
    assert settle_heap() >= 1 and not _tracked(later)
    assert later["request"] == []
