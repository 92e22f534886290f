"""One line of `guarded-rag doctor`: what was checked, whether it is fine, and the fix when it is not. Its own
module so that the doctor's check families (app.doctor, app.doctor_models) share it without importing each other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Check(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    ok: bool
    detail: str
    fix: str | None = None
