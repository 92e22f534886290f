"""The BM25 file of a collection written by two LexicalIndex objects of one process at once: on a Chroma server no
lock orders their flushes (a derived service has its own DocumentIndex for the same collection)."""

from __future__ import annotations

import threading
from pathlib import Path

from app.documents import lexical_file


def test_two_threads_writing_the_lexical_file_at_once_both_succeed_and_leave_a_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "lexical" / "docs.json"
    entries = {f"c{i}": ("notes.md", tuple(f"term{j}" for j in range(40))) for i in range(2000)}
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer() -> None:
        start.wait()
        for _ in range(15):
            try:
                lexical_file.write(path, entries)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [], errors[:2]  # before: FileNotFoundError, the other thread had renamed the shared tmp file
    found = lexical_file.read(path)
    assert found is not None and found[1] == entries
    assert sorted(p.name for p in path.parent.iterdir()) == ["docs.json"]  # no temporary file left behind
