"""documents -> sections -> chunks -> vectors + BM25 -> an index directory on disk.

Entry point: `indexer.build.build_index(paths, settings)`. Stages live in their own modules:
readers (files -> pages), normalise, metadata, sections, chunks, lexical (BM25), store (index dir).
"""
