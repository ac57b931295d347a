"""The query side of dense retrieval: the index's own model (checked against it), one memo per searcher.

The ranking itself is the backend's (search/backends/local.py: inner product over unit vectors).
"""

from __future__ import annotations

from quarry.embedders import Embedder, MemoEmbedder, query_compatible
from quarry.errors import IndexCorrupt

# Query and answer-sentence vectors kept per searcher (about 30 MB at 384 dimensions): a warm UI or
# harness re-reads the same passages, and mode / k / filter reruns reuse the query's vector.
MEMO_ITEMS = 20_000


def query_embedder(index_model_id: str, embedder: Embedder) -> MemoEmbedder:
    """`embedder` wrapped in one memo (an embedder that already is one is shared as it is), after
    checking that its vectors can search an index built by `index_model_id`."""
    if not query_compatible(index_model_id, embedder.model_id):
        raise IndexCorrupt(f"the index was built with model {index_model_id}, but {embedder.model_id} is configured: "
                           "rebuild with `quarry index`, set --model to the index's model, or leave --query-model empty")
    return embedder if isinstance(embedder, MemoEmbedder) else MemoEmbedder(embedder, max_items=MEMO_ITEMS)
