"""Corrupts an index by hand, the way two writers without the app's lock do: this process opens the collection and
loads its vector index, waits for a line on stdin (the other writer writes meanwhile), then writes 1,200 vectors
through its stale copy. Chroma persists the vector index every 1,000 writes, so this copy overwrites the other's.

    python -m tests.robustness.stale_writer PATH NAME
"""

from __future__ import annotations

import random
import sys

import chromadb
from chromadb.config import Settings as ChromaSettings

COUNT = 1200


def main(path: str, name: str) -> None:
    client = chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False))
    col = client.get_or_create_collection("docs", embedding_function=None, configuration={"hnsw": {"space": "cosine"}})
    col.query(query_embeddings=[[0.5] * 8], n_results=1)  # load the vector index into this process
    print("ready", flush=True)
    sys.stdin.readline()
    rng = random.Random(name)
    ids = [f"{name}-{i}" for i in range(COUNT)]
    col.upsert(
        ids=ids,
        embeddings=[[rng.random() for _ in range(8)] for _ in ids],
        documents=ids,
        metadatas=[{"source": f"{name}.md"}] * COUNT,
    )
    print("wrote", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
