"""What the CLI's trace options accept, checked by argparse so a typo is a usage error naming the choices,
not an empty listing (an unknown status or guardrail matched no trace and printed nothing) or a pydantic
validation dump (a negative --last). CLI layer.
"""

from __future__ import annotations

import argparse
from typing import get_args

from app import REGISTRY, Status

STATUSES: tuple[str, ...] = get_args(Status)
GUARDRAILS: tuple[str, ...] = tuple(REGISTRY)


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not >= 1")
    return value
