"""What a build did, for people (`lines`) and scripts (`to_dict`, `quarry index --json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quarry.records import DocInfo


@dataclass
class BuildSummary:
    index: str
    documents: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    sections: int = 0
    chunks: int = 0
    embedded: int = 0
    reused_vectors: int = 0
    resumed_vectors: int = 0  # kept from an interrupted build (indexer.pending), not embedded again
    embedded_on: str = ""  # "this process", "dask local:2", "dask tcp://host:8786"; empty when nothing was embedded
    workers: dict[str, dict[str, float]] = field(default_factory=dict)  # worker -> {"chunks", "batches", "seconds" busy}
    up_to_date: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inferred: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    precision: dict[str, int] = field(default_factory=dict)  # chunks embedded now, by the embedder's arithmetic

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["skipped"] = [{"file": f, "reason": r} for f, r in self.skipped]
        return d

    def lines(self) -> list[str]:
        total = sum(self.seconds.values())
        rate = self.embedded / self.seconds["embed"] if self.seconds.get("embed") and self.embedded else None
        out = [
            f"index: {self.index}" + ("  (up to date, nothing rebuilt)" if self.up_to_date else ""),
            f"documents: {self.documents} ({self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.removed} removed)",
            f"sections: {self.sections}   chunks: {self.chunks}",
            f"embedded: {self.embedded} chunks" + (f" at {rate:.1f}/s" if rate else "") + (f" in {self.embedded_on}" if self.embedded_on else "")
            + f", reused {self.reused_vectors} cached vectors" + (f", resumed {self.resumed_vectors} from an interrupted build" if self.resumed_vectors else ""),
            "time: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items() if v >= 0.05) + f" (total {total:.1f}s)",
        ]
        if len(self.workers) > 1 or self.workers and self.embedded_on != "this process":
            out.append(f"workers: {len(self.workers)}: " + self.worker_rates())
        for doc, fields_ in sorted(self.inferred.items()):
            out.append(f"inferred from the text (no catalogue entry): {doc}: {', '.join(fields_)}")
        for note in self.notes:
            out.append(f"note: {note}")
        out.append(f"skipped: {len(self.skipped)} file(s)")
        for name, reason in self.skipped:
            out.append(f"  skipped {name}: {reason}")
        return out

    def note_batch(self, worker: str, chunks: int, seconds: float, precision: str = "") -> None:
        """Count one embedded batch against the worker that embedded it (and the arithmetic it used)."""
        self.precision[precision or "unrecorded"] = self.precision.get(precision or "unrecorded", 0) + chunks
        w = self.workers.setdefault(worker, {"chunks": 0, "batches": 0, "seconds": 0.0})
        w["chunks"] += chunks
        w["batches"] += 1
        w["seconds"] += seconds

    def worker_rates(self, short: bool = False) -> str:
        """Each worker's chunks and chunks per busy second ("tcp://10.0.0.5:39211 3100 at 10.4/s, ...");
        `short` keeps the port only, for a progress bar."""
        return ", ".join(f"{name.rsplit(':', 1)[-1] if short else name} {int(w['chunks'])}"
                         + (f" at {w['chunks'] / w['seconds']:.1f}/s" if w["seconds"] > 0 else "")
                         for name, w in sorted(self.workers.items()))

    def note_inferred(self, infos: list[DocInfo]) -> None:
        """Record the documents whose fields were inferred from their text (no catalogue entry)."""
        for info in infos:
            if info.inferred:
                self.inferred[info.doc_id] = list(info.inferred)
