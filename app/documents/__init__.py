"""Documents: loading files (loaders), splitting them (chunking), embedding (embeddings), the Chroma index
(index) and the idempotent ingest that ties them together. App layer, below the service; imports no
other part of app/ except settings. Import the submodules; this package imports nothing itself.
"""
