"""A record set aside while the disk is full (the write stops part way) leaves no cut-off line in the dead-letter
file: before, the next record set aside once there was room was glued to the fragment, neither was readable, and
`traces import` refused the whole file. The short write is the kernel's own: a child process whose file size
limit (RLIMIT_FSIZE, SIGXFSZ ignored) ends the file part way through the line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from app.traces import count_set_aside
from app.traces.jsonl import read_export

_CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from app.traces.dead_letter import set_aside
    from tests.app.test_traces import record

    path = Path(sys.argv[1])
    set_aside(path, record(1), location="test", error="refused")
    size = path.stat().st_size
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit is cut short instead of killing
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 200, hard))  # the disk fills 200 bytes into the next line
    set_aside(path, record(2), location="test", error="refused")  # only logged: it could not be kept
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # room again
    set_aside(path, record(3), location="test", error="refused")
    """
)


def test_a_record_cut_off_by_a_full_disk_leaves_the_file_importable(tmp_path: Path):
    path = tmp_path / "rejected.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[3]
    )
    assert done.returncode == 0, done.stderr
    assert "only part of the record could be written" in done.stderr  # the cut-off record was said, and logged whole
    assert count_set_aside(path) == 2
    assert [r.trace_id for r in read_export(path).records] == ["t0001", "t0003"]
