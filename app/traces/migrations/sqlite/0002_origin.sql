-- Which process on which machine wrote the trace: several app processes may share one store.
ALTER TABLE traces ADD COLUMN origin TEXT;
