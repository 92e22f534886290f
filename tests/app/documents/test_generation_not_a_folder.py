"""The index folder is a file: the generation file's stat and bump say so in plain words (IndexUnavailableError,
what to do, no server path), not NotADirectoryError naming `.guarded-rag-generation`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.documents.generation import bump_generation, generation_stamp
from app.documents.store_errors import IndexUnavailableError

CALLS: list[tuple[str, Callable[[Path], object]]] = [
    ("stamp", generation_stamp),
    ("bump", lambda path: bump_generation(path, "writing")),
]


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=[i for i, _ in CALLS])
def test_index_folder_that_is_a_file_is_said_plainly(tmp_path: Path, call: Callable[[Path], object]) -> None:
    index = tmp_path / "index"
    index.write_text("not a folder")
    with pytest.raises(IndexUnavailableError) as raised:
        call(index)
    said = str(raised.value)
    assert "is a file, not a folder" in said and "--rebuild" in said
    assert ".guarded-rag-generation" not in said and str(tmp_path) not in said


@pytest.mark.parametrize("call", [c for _, c in CALLS], ids=[i for i, _ in CALLS])
def test_a_folder_still_works(tmp_path: Path, call: Callable[[Path], object]) -> None:
    call(tmp_path)  # no error: a missing generation file is None, a bump writes one
