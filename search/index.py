"""Open an index build folder in O(1): manifest checks, memory-mapped document and chunk tables, vectors and
BM25 arrays; a chunk's text and record are decoded only when asked for; FAISS is read on first dense use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from quarry import index_format as fmt
from quarry.errors import IndexCorrupt
from quarry.index_tables import ChunkTable, DocTable, StoredDoc, TableDamaged

__all__ = ["ChunkTable", "DocTable", "LoadedIndex", "StoredDoc", "TermMatrix", "load"]


@dataclass
class TermMatrix:
    """One BM25 field: CSC arrays (column = term, row = chunk) and the term -> column map."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    vocab: dict[str, int]


def _term_matrix(folder: Path, field: str) -> TermMatrix:
    names = fmt.bm25_files(field)
    data, indices, indptr = (np.load(folder / name, allow_pickle=False) for name in names[:3])
    vocab = json.loads((folder / names[3]).read_text(encoding="utf-8"))
    if len(indptr) != len(vocab) + 1:
        raise ValueError(f"BM25 field {field} is inconsistent")
    return TermMatrix(data, indices, indptr, {t: i for i, t in enumerate(vocab)})


@dataclass
class LoadedIndex:
    folder: Path
    manifest: dict[str, Any]
    docs: DocTable  # by doc id: every DocInfo at open (`docs.infos`); text and sections decoded on access
    chunks: ChunkTable  # row i = vector i; a Chunk decoded on access; `chunks.doc_rows` for every row
    vectors: np.ndarray  # memory-mapped (n, dim); empty (0, dim) for a Milvus index
    read_dense: Callable[[], Any] | None  # reads the FAISS index (see `dense`); None for a Milvus index
    lexical: dict[str, TermMatrix]  # BM25 fields: "text", "meta"; empty for a Milvus index
    glossary: dict[str, str]
    backend: Any = None  # a search.backends Backend when the chunks live elsewhere (Milvus); None = these files
    _dense: Any = field(default=None, init=False, repr=False)

    @property
    def model_id(self) -> str:
        return self.manifest["model"]["id"]

    @property
    def dense(self) -> Any:
        """The FAISS index, read on first use so keyword-only searches never import faiss; None for Milvus."""
        if self._dense is None and self.read_dense is not None:
            self._dense = self.read_dense()
        return self._dense


def _unreadable(folder: Path, index: Path, e: Exception) -> IndexCorrupt:
    return IndexCorrupt(f"index at {folder} cannot be read ({type(e).__name__}); rebuild it with `quarry index --index {index}`")


def _inconsistent(folder: Path, index: Path) -> IndexCorrupt:
    return IndexCorrupt(f"index at {folder} is inconsistent; rebuild it with `quarry index --index {index}`")


def _dense_reader(folder: Path, index: Path, n_chunks: int, manifest: dict[str, Any], verify: bool) -> Callable[[], Any]:
    """Reads the build's FAISS file (hash checked first, with `verify`) and checks it holds one vector per
    chunk (same errors as `load`)."""

    def read() -> Any:
        import faiss

        if verify:
            fmt.check_file(folder, manifest, fmt.DENSE)
        try:
            dense = faiss.read_index(str(folder / fmt.DENSE))
        except (OSError, RuntimeError) as e:
            raise _unreadable(folder, index, e) from None
        if dense.ntotal != n_chunks:
            raise _inconsistent(folder, index)
        return dense

    return read


def load(index: Path, verify: bool = True) -> LoadedIndex:
    """Open the current build of `index`; one clear error if it is missing, stale or damaged.

    Every file's size is checked here and, with `verify`, its hash (dense.faiss's on first dense use, when
    the FAISS file is read and checked against the chunks). Nothing else is parsed but the manifest, the
    documents' metadata columns, the BM25 vocabularies and the glossary.
    """
    folder = fmt.build_dir(index)
    manifest = fmt.read_manifest(folder, verify=verify)
    try:
        docs = DocTable.open(folder)
        chunks = ChunkTable.open(folder, docs.ids)
        vectors = np.load(folder / fmt.VECTORS, mmap_mode="r", allow_pickle=False)
        if not (folder / fmt.DENSE).is_file():
            raise FileNotFoundError(folder / fmt.DENSE)
        lexical = {field: _term_matrix(folder, field) for field in fmt.BM25_FIELDS}
        glossary_file = folder / fmt.GLOSSARY
        glossary = json.loads(glossary_file.read_text(encoding="utf-8")) if glossary_file.is_file() else {}
    except TableDamaged:
        raise _inconsistent(folder, index) from None
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as e:
        raise _unreadable(folder, index, e) from None
    if len(chunks) != vectors.shape[0]:
        raise _inconsistent(folder, index)
    return LoadedIndex(folder, manifest, docs, chunks, vectors, _dense_reader(folder, index, len(chunks), manifest, verify),
                       lexical, glossary)
