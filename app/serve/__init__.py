"""`guarded-rag serve`: the guarded chain as an HTTP service that Ollama and OpenAI clients use unchanged.

A client of the service like the views and the CLI (it imports the app only through `from app import`):
factory.py builds the Starlette app; ollama.py, openai.py and native.py translate wire formats;
exchange.py is the one flow every question takes (served.py: what the routes share; reply.py: what a question
becomes); runner.py bounds the work; tasks.py answers front-end housekeeping calls without a model; middleware.py
logs and authenticates; server.py runs uvicorn (options.py: what it is told; exposure.py: where it may listen;
header_deadline.py: its HTTP protocol's header limits).
See docs/SERVE.md.
"""

from app.serve.exposure import ExposureError, check_exposure, is_loopback
from app.serve.factory import create_app
from app.serve.options import DEFAULT_PORT, ServeOptions
from app.serve.server import ServerThread, run_server

__all__ = [
    "DEFAULT_PORT",
    "ExposureError",
    "ServeOptions",
    "ServerThread",
    "check_exposure",
    "create_app",
    "is_loopback",
    "run_server",
]
