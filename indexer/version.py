"""The fingerprint of the code that writes an index: a build made by other code is re-chunked.

An index depends on its documents, its settings and the code that reads, normalises, sections and
chunks them. The manifest records this hash; `quarry index` re-processes every document when it
differs (vectors are still reused by the hash of the text embedded, so only changed passages are
embedded again), and `quarry eval` keys its cached indexes by it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
# Code whose change can change what an index holds (search/ only reads an index, so it is left out).
INDEX_CODE = ("indexer/**/*.py", "quarry/analysis.py", "quarry/embedders.py", "quarry/index_format.py", "quarry/index_tables.py",
              "quarry/records.py")


def code_files() -> list[Path]:
    """The source files the hash covers, in hashing order."""
    return [path for pattern in INDEX_CODE for path in sorted(_ROOT.glob(pattern))]


@lru_cache(maxsize=1)
def code_hash() -> str:
    """sha256 over the source of the modules that write an index."""
    h = hashlib.sha256()
    for path in code_files():
        h.update(path.relative_to(_ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()
