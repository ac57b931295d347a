"""BM25 (Okapi, as rank-bm25 computes it) precomputed into a sparse term-weight matrix.

Column t of the matrix holds, for every chunk containing term t, idf(t) * tf*(k1+1) /
(tf + k1*(1 - b + b*len/avglen)); a query's scores are then a sum of columns. Stored as plain
.npy arrays (CSC layout) and a JSON vocabulary.
"""

from __future__ import annotations

from array import array
from collections import Counter
from typing import Iterable

import numpy as np

EPSILON = 0.25  # rank-bm25's floor for negative idf: EPSILON * mean idf


def idf_table(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    """rank-bm25 BM25Okapi idf, including its epsilon floor for very common terms.

    One departure: in a tiny index most terms are in most chunks, rank-bm25's mean idf turns
    negative and every score with it; the floor is then EPSILON * log 2, a small positive value,
    so a one-document index still answers keyword queries. Normal corpora
    (positive mean idf) score exactly as rank-bm25 does.
    """
    idf = np.log(n_docs - doc_freq + 0.5) - np.log(doc_freq + 0.5)
    average = float(idf.sum()) / len(idf) if len(idf) else 0.0
    floor = EPSILON * average if average > 0 else EPSILON * float(np.log(2.0))
    return np.where(idf < 0, floor, idf)


def build_matrix(docs_terms: Iterable[list[str]], k1: float, b: float) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(vocab, data, indices, indptr): CSC arrays, column j = term vocab[j], row = chunk.

    `docs_terms` is read once, as it comes: each chunk's (row, term, count) go into C arrays of 4 bytes
    each, so a million chunks hold ~0.5 GB here rather than every chunk's term list and Python ints."""
    vocab_index: dict[str, int] = {}
    rows, cols, tfs, lengths = array("i"), array("i"), array("i"), array("d")
    for row, terms in enumerate(docs_terms):
        lengths.append(len(terms))
        for term, tf in Counter(terms).items():
            rows.append(row)
            cols.append(vocab_index.setdefault(term, len(vocab_index)))
            tfs.append(tf)
    n_docs = len(lengths)
    vocab = sorted(vocab_index, key=vocab_index.get)
    if not rows:
        return vocab, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(len(vocab) + 1, np.int64)
    lengths = np.asarray(lengths, dtype=np.float64)
    rows_a = np.asarray(rows, dtype=np.int32)
    cols_a = np.asarray(cols, dtype=np.int64)
    tf_a = np.asarray(tfs, dtype=np.float64)
    doc_freq = np.bincount(cols_a, minlength=len(vocab)).astype(np.float64)
    idf = idf_table(doc_freq, n_docs)
    avg_len = max(float(lengths.mean()), 1e-9) if n_docs else 1.0
    norm = k1 * (1 - b + b * lengths[rows_a] / avg_len)
    weights = idf[cols_a] * tf_a * (k1 + 1) / (tf_a + norm)
    order = np.lexsort((rows_a, cols_a))
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(doc_freq.astype(np.int64), out=indptr[1:])
    return vocab, weights[order].astype(np.float32), rows_a[order], indptr
