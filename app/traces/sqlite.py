"""The SQLite trace backend (the default): every request's result and events in one WAL database under
GUARDED_RAG_HOME.

Each write opens its own short connection inside one IMMEDIATE transaction, so concurrent writers (CLI,
UI, eval, several processes) serialize on SQLite's lock instead of losing events. Queries return records.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from app.traces.models import TraceFilter, TraceRecord
from chains import TraceEvent

_SCHEMA = """
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
"""


class SqliteTraceBackend:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    @property
    def location(self) -> str:
        return str(self.path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as conn:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL: a commit is durable against a process crash and never corrupts the file; only a
            # power loss can lose the last commits. FULL would fsync every commit on the request path.
            conn.execute("PRAGMA synchronous=NORMAL")
            yield conn

    def save_many(self, records: Sequence[TraceRecord]) -> None:
        """Insert or replace `records` (and their events) in one transaction."""
        if not records:
            return
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for record in records:
                    conn.execute(
                        "INSERT OR REPLACE INTO traces VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            record.trace_id,
                            record.created_at.isoformat(),
                            record.question,
                            record.status,
                            record.backend,
                            record.model,
                            record.rung,
                            record.llm_calls,
                            record.latency_ms,
                            "," + ",".join(record.fired) + ",",
                            record.session,
                            json.dumps(record.result, ensure_ascii=False, default=str),
                        ),
                    )
                    conn.execute("DELETE FROM events WHERE trace_id = ?", (record.trace_id,))
                    conn.executemany(
                        "INSERT INTO events VALUES (?,?,?)",
                        [(record.trace_id, e.seq, e.model_dump_json()) for e in record.events],
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def list(self, flt: TraceFilter | None = None) -> list[TraceRecord]:
        flt = flt or TraceFilter()
        where, args = [], []
        for column in ("status", "model", "backend", "session"):
            value = getattr(flt, column)
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if flt.guardrail:
            where.append("fired LIKE ?")
            args.append(f"%,{flt.guardrail},%")
        if flt.since:
            where.append("created_at >= ?")
            args.append(flt.since.isoformat())
        if flt.until:
            where.append("created_at <= ?")
            args.append(flt.until.isoformat())
        if flt.text:
            where.append("instr(lower(question), lower(?)) > 0")
            args.append(flt.text)
        sql = "SELECT * FROM traces" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at DESC LIMIT ?"
        with self._connect() as conn:
            rows = conn.execute(sql, [*args, flt.limit]).fetchall()
        return [self._record(row, events=()) for row in rows]

    def get(self, trace_id: str) -> TraceRecord | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM traces WHERE trace_id = ?", (trace_id,)).fetchone()
            if row is None:
                # allow a unique prefix, as people copy short ids from tables
                matches = conn.execute("SELECT * FROM traces WHERE trace_id LIKE ? LIMIT 2", (trace_id + "%",)).fetchall()
                row = matches[0] if len(matches) == 1 else None
            if row is None:
                return None
            events = conn.execute("SELECT event_json FROM events WHERE trace_id = ? ORDER BY seq", (row[0],)).fetchall()
        return self._record(row, events=tuple(TraceEvent.model_validate_json(e[0]) for e in events))

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT count(*) FROM traces").fetchone()[0])

    @staticmethod
    def _record(row: Sequence[Any], *, events: tuple[TraceEvent, ...]) -> TraceRecord:
        return TraceRecord(
            trace_id=row[0],
            created_at=datetime.fromisoformat(row[1]),
            question=row[2],
            status=row[3],
            backend=row[4],
            model=row[5],
            rung=row[6],
            llm_calls=row[7],
            latency_ms=row[8],
            fired=tuple(n for n in row[9].split(",") if n),
            session=row[10],
            result=json.loads(row[11]),
            events=events,
        )
