"""`python -m app` runs the guarded-rag CLI."""

from app.cli import entry

raise SystemExit(entry())
