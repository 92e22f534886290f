-- The policy lab (issue #14): what each request's guardrails saw, so a decision can be recomputed under another
-- policy; chunk texts stored once per (content digest, chunk id) across traces; labels on decisions.
CREATE TABLE trace_inputs (
    trace_id TEXT PRIMARY KEY REFERENCES traces(trace_id) ON DELETE CASCADE,
    inputs_json TEXT NOT NULL     -- app.traces.TraceInputs with each chunk text replaced by its text_ref
);
CREATE TABLE chunk_texts (
    digest TEXT NOT NULL,         -- sha256 of the text, first 32 hex digits
    chunk_id TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (digest, chunk_id)
);
CREATE TABLE labels (
    trace_id TEXT NOT NULL REFERENCES traces(trace_id) ON DELETE CASCADE,
    target TEXT NOT NULL,         -- a guardrail name, or 'outcome'
    attempt INTEGER NOT NULL,     -- the nth time that guardrail ran in the request
    correct INTEGER NOT NULL,     -- 1 right, 0 wrong
    decision TEXT NOT NULL,       -- what was judged: fired/passed, or the status
    note TEXT NOT NULL,
    source TEXT NOT NULL,         -- user or eval
    created_at TEXT NOT NULL,
    PRIMARY KEY (trace_id, target, attempt)
);
CREATE INDEX labels_target ON labels(target);
