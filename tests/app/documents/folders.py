"""The set-up the ingest tests share: a docs folder written from a table of files, a private file outside it (what
a link out of the folder must never index), one ingest with the tests' size limit, and the text the index holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from app.documents.index import DocumentIndex
from app.documents.ingest import IngestProgress, IngestReport, ingest_paths
from tests.fake_embeddings import BagOfWordsEmbeddings

MB = 1_000_000
INSTALL = "# Install\n\nRun the install script.\n"
PORT = "# Port\n\nOllama listens on port 11434.\n"
SECRET = "# Private\n\nThe walrus vault code is nine nine four.\n"
GUIDE = {
    "install.md": "# Install\n\nRun the install script. It sets up systemd.\n",
    "guide/port.md": PORT,
    "guide/zh.txt": "默认端口是 11434。可以修改监听地址。\n",
}
"""A docs folder of three files: English at the top, English and Chinese in a subfolder."""


def write_folder(root: Path, files: Mapping[str, str]) -> Path:
    """`root`, created with each of `files` (a path relative to it: its text) and the folders they need."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def write_secret(tmp_path: Path) -> Path:
    """A private file beside the docs folder (tmp_path/private/vault.md), holding SECRET."""
    return write_folder(tmp_path / "private", {"vault.md": SECRET}) / "vault.md"


def ingest(
    paths: Sequence[Path],
    docs: Path,
    index: DocumentIndex,
    emb: BagOfWordsEmbeddings | None = None,
    *,
    max_bytes: int = MB,
    prune: bool = True,
    progress: Callable[[IngestProgress], None] | None = None,
) -> IngestReport:
    """`paths` ingested into `index` with `docs` as the docs folder (fresh fake embeddings unless `emb`)."""
    embeddings = emb if emb is not None else BagOfWordsEmbeddings()
    return ingest_paths(paths, index=index, embeddings=embeddings, root=docs, max_bytes=max_bytes, prune=prune, progress=progress)


def indexed_text(index: DocumentIndex) -> str:
    """Every chunk's text in `index`, joined by spaces."""
    return " ".join(text for _, _, text in index.rows())
