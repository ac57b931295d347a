"""Storage backends behind `Searcher`: `local` (plain files, FAISS, numpy BM25) and `milvus`."""
