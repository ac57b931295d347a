"""Saved evaluation runs: one JSON file per run, read back by the report (retrieval and answer runs alike)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable


def write_record(path: Path, command: str, key: str, payload: Any) -> Path:
    """One saved run: {"command", "generated", "quarry_version", key: payload} as JSON at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"command": command, "generated": time.strftime("%Y-%m-%d %H:%M"),
              "quarry_version": __import__("quarry").__version__, key: payload}
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def read_records(folder: Path, key: str, decode: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """Every run saved in `folder` (*.json), `key` decoded, oldest first."""
    runs = []
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        record[key] = decode(record[key])
        runs.append(record)
    return sorted(runs, key=lambda r: r["generated"])
