-- The same tables as SQLite's 0003: replay inputs, chunk texts stored once, labels on decisions.
CREATE TABLE trace_inputs (
    trace_id TEXT PRIMARY KEY REFERENCES traces(trace_id) ON DELETE CASCADE,
    inputs_json TEXT NOT NULL
);
CREATE TABLE chunk_texts (
    digest TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (digest, chunk_id)
);
CREATE TABLE labels (
    trace_id TEXT NOT NULL REFERENCES traces(trace_id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    correct BOOLEAN NOT NULL,
    decision TEXT NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (trace_id, target, attempt)
);
CREATE INDEX labels_target ON labels(target);
