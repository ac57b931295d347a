"""documents -> sections -> chunks -> vectors + BM25 -> an index directory on disk.

Entry point: `indexer.build.build_index(paths, settings)`. Stages live in their own modules:
sources (what to index), readers (files -> pages), normalise, metadata, sections, chunks (process.py
runs one document through them), views (texts embedded and counted), lexical (BM25), previous (the
build being replaced), write and store (the new index dir), milvus_sync (a copy in Milvus).
"""
