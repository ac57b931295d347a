"""Opening an index: every file's size and hash at open but the FAISS file's, which is hashed, read and checked
only on first dense use."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from quarry import index_format as fmt
from quarry.errors import IndexCorrupt
from quarry.settings import Settings
from search import open_index

ROOT = Path(__file__).resolve().parents[2]
SEARCH_THEN_REPORT = """
import sys
from quarry.settings import Settings
from search import open_index
s = open_index(sys.argv[1], Settings(index=sys.argv[1], model="hash"))
hits = s.search("foster carers", k=3, mode="bm25").hits
print(len(hits), 'faiss' in sys.modules)
s.search("foster carers", k=3, mode="dense")
print('faiss' in sys.modules)
"""


def test_a_bm25_search_does_not_import_faiss_and_a_dense_one_does(hash_index):
    out = subprocess.run([sys.executable, "-c", SEARCH_THEN_REPORT, hash_index.index], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "False", "True"]


def _copy(hash_index: Settings, tmp_path: Path) -> tuple[Settings, Path]:
    shutil.copytree(hash_index.index, tmp_path / "ix", symlinks=True)
    settings = Settings(index=str(tmp_path / "ix"), model="hash")
    return settings, fmt.build_dir(tmp_path / "ix")


def test_a_damaged_faiss_file_fails_its_checksum_on_first_dense_use(hash_index, tmp_path):
    settings, folder = _copy(hash_index, tmp_path)
    data = bytearray((folder / fmt.DENSE).read_bytes())
    data[-1] ^= 0xFF
    (folder / fmt.DENSE).write_bytes(bytes(data))
    searcher = open_index(settings.index, settings)
    assert searcher.search("foster carers", k=3, mode="bm25").hits
    with pytest.raises(IndexCorrupt, match="dense.faiss fails its checksum"):
        searcher.search("foster carers", k=3, mode="dense")


def test_a_faiss_file_that_disagrees_with_the_chunks_is_refused_when_first_read(hash_index, tmp_path):
    import faiss

    settings, folder = _copy(hash_index, tmp_path)
    vectors = np.load(folder / fmt.VECTORS)
    short = faiss.IndexFlatIP(vectors.shape[1])
    short.add(np.ascontiguousarray(vectors[:-1], dtype=np.float32))
    faiss.write_index(short, str(folder / fmt.DENSE))
    manifest = json.loads((folder / fmt.MANIFEST).read_text(encoding="utf-8"))  # a consistent manifest for the bad file
    manifest["files"][fmt.DENSE] = {**manifest["files"][fmt.DENSE], "bytes": (folder / fmt.DENSE).stat().st_size,
                                    "xxh3_64": fmt.file_hash(folder / fmt.DENSE)}
    (folder / fmt.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    searcher = open_index(settings.index, settings)
    assert searcher.search("foster carers", k=3, mode="bm25").hits
    with pytest.raises(IndexCorrupt, match=r"is inconsistent; rebuild it with `quarry index --index .*ix`"):
        searcher.search("foster carers", k=3, mode="dense")
