"""The `guarded-rag` command line: a thin view over the app's public API, like the Streamlit pages.
main.py has the core commands (ask, ingest, doctor, traces), lab.py the evaluation and experiments."""

from app.cli.main import main

__all__ = ["main"]
