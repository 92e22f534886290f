-- The schema guarded-rag shipped before versioned migrations (a file without schema_migrations is this).
CREATE TABLE IF NOT EXISTS traces (
    trace_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    rung TEXT,
    llm_calls INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    fired TEXT NOT NULL,          -- comma-separated names of guardrails that fired, wrapped in commas
    session TEXT,
    result_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS traces_created ON traces(created_at);
CREATE TABLE IF NOT EXISTS events (
    trace_id TEXT NOT NULL REFERENCES traces(trace_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    event_json TEXT NOT NULL,
    PRIMARY KEY (trace_id, seq)
);
