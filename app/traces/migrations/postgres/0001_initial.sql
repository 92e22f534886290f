-- The same tables as SQLite's 0001. JSON stays TEXT: it round-trips exactly (JSONB reorders keys and
-- rejects NaN and \u0000); cast with event_json::jsonb to query inside it.
CREATE TABLE traces (
    trace_id TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    rung TEXT,
    llm_calls INTEGER NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    fired TEXT NOT NULL,          -- comma-separated names of guardrails that fired, wrapped in commas
    session TEXT,
    result_json TEXT NOT NULL
);
CREATE INDEX traces_created ON traces(created_at);
CREATE TABLE events (
    trace_id TEXT NOT NULL REFERENCES traces(trace_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    event_json TEXT NOT NULL,
    PRIMARY KEY (trace_id, seq)
);
