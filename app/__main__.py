"""`python -m app` runs the guarded-rag CLI."""

from app.cli import main

raise SystemExit(main())
