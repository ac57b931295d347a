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
    up_to_date: bool = False
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inferred: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

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
            f"embedded: {self.embedded} chunks" + (f" at {rate:.1f}/s" if rate else "") + f", reused {self.reused_vectors} cached vectors",
            "time: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items() if v >= 0.05) + f" (total {total:.1f}s)",
        ]
        for doc, fields_ in sorted(self.inferred.items()):
            out.append(f"inferred from the text (no catalogue entry): {doc}: {', '.join(fields_)}")
        for note in self.notes:
            out.append(f"note: {note}")
        out.append(f"skipped: {len(self.skipped)} file(s)")
        for name, reason in self.skipped:
            out.append(f"  skipped {name}: {reason}")
        return out

    def note_inferred(self, infos: list[DocInfo]) -> None:
        """Record the documents whose fields were inferred from their text (no catalogue entry)."""
        for info in infos:
            if info.inferred:
                self.inferred[info.doc_id] = list(info.inferred)
