"""Error bodies of the HTTP service, in the dialect of the path: Ollama's `{"error": "..."}` (errors.mdx) on
/api/* and the native endpoints, OpenAI's `{"error": {"message", "type", "code"}}` on the rest of /v1 (an OpenAI
client calling an endpoint this server lacks, /v1/embeddings say, gets an error it can read).

A handler raises Problem; one exception handler renders it, so no handler formats errors itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

NATIVE_PATHS = ("/v1/ask", "/v1/traces")  # guarded-rag's own endpoints under /v1: Ollama's error shape
_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    408: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
}


class Problem(Exception):
    """A request that cannot be served: HTTP status, a message for the client, an OpenAI-style code."""

    def __init__(self, status: int, message: str, *, code: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})


def json_type(value: object) -> str:
    """What a parsed JSON value is, in JSON's words ("an array", not Python's "list"), for a 400 that names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    kinds = {str: "a string", list: "an array", dict: "an object"}
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "a value of another kind")


def is_openai(path: str) -> bool:
    return (path == "/v1" or path.startswith("/v1/")) and not path.startswith(NATIVE_PATHS)


def error_body(path: str, status: int, message: str, code: str | None = None) -> dict[str, object]:
    if is_openai(path):
        kind = _OPENAI_TYPES.get(status, "server_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return {"error": message}


def error_response(path: str, problem: Problem) -> JSONResponse:
    return JSONResponse(
        error_body(path, problem.status, problem.message, problem.code), status_code=problem.status, headers=problem.headers
    )
