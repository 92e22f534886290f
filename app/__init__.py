"""guarded-rag application layer: the composition root (settings, backend choice, models, index, ingest,
the service behind the CLI and the UI, traces, evaluation). Imports chains and guardrails; never the UI."""
