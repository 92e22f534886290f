"""A second process for the index tests: writes through the app's DocumentIndex (so through its lock), or
holds the write lock for a while. Run as `python -m tests.app.documents.index_child <command> ...`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from app.documents.chunking import chunk_text
from app.documents.index import DocumentIndex
from app.documents.store import ChromaStore
from tests.fake_embeddings import BagOfWordsEmbeddings


def index_at(path: str, lock_timeout: float = 60.0) -> DocumentIndex:
    return DocumentIndex(path=Path(path), collection="docs", embeddings=BagOfWordsEmbeddings(), lock_timeout=lock_timeout)


def add(index: DocumentIndex, source: str, text: str) -> None:
    drafts = chunk_text(text, source=source, target_chars=60, max_chars=120)
    index.upsert_document(source, "sha-" + source, drafts, BagOfWordsEmbeddings().embed_documents([d.text for d in drafts]))


def open_slowly(path: str) -> None:
    """Print "ready", wait for a line on stdin, then open a ChromaStore whose client build takes 0.5 s and says
    whether another process was building one on this directory at the same time ("overlap") or not ("alone")."""
    marker = Path(path) / "building.marker"
    seen: list[str] = []

    def connect() -> Any:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            seen.append("overlap")
            time.sleep(0.5)
        else:
            seen.append("alone")
            time.sleep(0.5)
            os.close(fd)
            marker.unlink()
        return object()

    store = ChromaStore(Path(path), connect=connect)
    print("ready", flush=True)
    sys.stdin.readline()
    store.run("opening", lambda _client: None, seconds=30)
    print(seen[0], flush=True)


def main(argv: list[str]) -> None:
    command, path = argv[0], argv[1]
    if command == "hold":  # hold the write lock for N seconds, writing one document inside
        index = index_at(path)
        with index.writing("ingest"):
            print("locked", flush=True)
            add(index, "held.md", "# Held\n\nWritten while the lock was held by the child process.")
            time.sleep(float(argv[2]))
        print("released", flush=True)
    elif command == "rebuild-hold":  # start a rebuild and hold it, index empty, for N seconds
        index = DocumentIndex(path=Path(path), collection=argv[3], embeddings=BagOfWordsEmbeddings())
        with index.writing("rebuild", rebuilding=True):
            index.reset()
            print("locked", flush=True)
            time.sleep(float(argv[2]))
        print("released", flush=True)
    elif command == "rebuild-partial-hold":  # start a rebuild, write one document, hold until stdin closes
        index = DocumentIndex(path=Path(path), collection=argv[2], embeddings=BagOfWordsEmbeddings())
        with index.writing("rebuild", rebuilding=True):
            index.reset()
            add(index, "garden.md", "# Garden\n\nTomatoes need six hours of sun and water every second day.")
            print("locked", flush=True)
            sys.stdin.read()
        print("released", flush=True)
    elif command == "write":  # write one document (waits for the lock like any writer)
        index = index_at(path, lock_timeout=float(argv[4]) if len(argv) > 4 else 60.0)
        add(index, argv[2], argv[3])
        print("written", flush=True)
    elif command == "open":
        open_slowly(path)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
