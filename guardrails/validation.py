"""One wording for a pydantic ValidationError wherever one is reported (a model's reply, an API request, an
imported trace): "where: what" per problem, joined by "; ".

pydantic's own str() spans several lines and ends each problem with a documentation URL, which reads badly in a
one-line error, an HTTP 400 or a re-ask prompt. The policy file (guardrails/policy.py) and the settings
(app/settings/) keep their own wording: they name a TOML key and an environment variable, not a field path.
"""

from __future__ import annotations

from pydantic import ValidationError


def describe_validation(exc: ValidationError, *, whole: str = "object", limit: int | None = None) -> str:
    """The problems as "messages.0.role: Input should be …; model: Field required".

    `whole` names the value itself, for a problem with no field path (e.g. "the line"). With `limit`, only the
    first `limit` problems are listed, and " (and N more)" says how many were left out.
    """
    problems = exc.errors(include_url=False)
    shown = problems if limit is None else problems[:limit]
    text = "; ".join(_problem(p["loc"], p["type"], p["msg"], whole) for p in shown)
    left_out = len(problems) - len(shown)
    return text + (f" (and {left_out} more)" if left_out else "")


def _problem(loc: tuple[int | str, ...], kind: str, msg: str, whole: str) -> str:
    """One problem. A check of our own (a validator raising ValueError) reads as its own words, without pydantic's
    "Value error, "; one on the whole value names its field itself, so it stands alone."""
    where = ".".join(str(part) for part in loc)
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        if not where:
            return msg
    return f"{where or whole}: {msg}"
