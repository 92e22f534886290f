"""Small statistics shared by the trace views, the evaluation lab and the benches (one definition each)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Literal

Split = Literal["tune", "report"]


def percentile(values: Sequence[float], q: float) -> float | None:
    """q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default); None for
    no values."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def split_of(key: str) -> Split:
    """'tune' or 'report' by the parity of sha256(key). Every labelled set is split this way, by the key
    "<dataset>/<item id>": detectors learn and calibrate on `tune` only, and are reported on `report`."""
    return "tune" if int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "report"
