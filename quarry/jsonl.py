"""Read JSON-lines files (gold sets, BEIR corpora, index records) with one clear error per bad line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from quarry.errors import QuarryError, UsageError


def read_jsonl(path: str | Path, missing: str = "no such file") -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; UsageError "<path>: <missing>" when the file is absent."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: {missing}")
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise QuarryError(f"{path}:{n}: not a JSON line") from None
            if not isinstance(row, dict):
                raise QuarryError(f"{path}:{n}: expected a JSON object, found {type(row).__name__}")
            yield n, row
