"""The benchmark corpus: real Ofsted inspection sentences recombined into passages of 2-4 sentences.

Sizes are prefixes of one deterministic list, so a 1k corpus is the first thousand passages of the
10k one and every size shares the same cached vectors.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from quarry.analysis import sentence_spans
from quarry.errors import QuarryError

SEED = 7


@dataclass(frozen=True)
class Passage:
    """One benchmark chunk: its text and the inspection it came from."""

    pid: str
    text: str
    title: str
    authority: str
    year: int | None


def collapse_wraps(text: str) -> str:
    """Join hard-wrapped lines inside a paragraph; paragraphs (blank-line separated) become lines."""
    paragraphs = re.split(r"\n[ \t\xa0]*\n", text)
    return "\n".join(" ".join(line.strip() for line in p.splitlines() if line.strip()) for p in paragraphs if p.strip())


def good_sentence(s: str) -> bool:
    """Prose sentences only: no headings, tables or page furniture."""
    return 40 <= len(s) <= 400 and s[0].isupper() and s[-1] in ".!?" and len(s.split()) >= 6


def inspection_sentences(folder: Path) -> list[tuple[Path, list[str]]]:
    """(file, prose sentences) for every inspection text under `folder`, in a stable order."""
    files = sorted(folder.glob("*/*.txt"))
    if not files:
        raise QuarryError(f"no inspection texts under {folder}")
    out = []
    for file in files:
        text = collapse_wraps(file.read_text(encoding="utf-8", errors="replace"))
        sentences = [text[s:e].strip() for s, e in sentence_spans(text)]
        out.append((file, [s for s in sentences if good_sentence(s)]))
    return out


def _about(file: Path) -> tuple[str, str, int | None]:
    authority = file.parent.name.split("_", 1)[-1].title()
    years = re.findall(r"(?:19|20)\d\d", file.stem)
    return f"{authority} {file.stem}", authority, int(years[-1]) if years else None


def passages(folder: Path, size: int) -> list[Passage]:
    """`size` distinct passages of 2-4 consecutive-or-recombined sentences from one inspection each."""
    sources = [(f, s) for f, s in inspection_sentences(folder) if len(s) >= 4]
    rng = random.Random(SEED)
    seen: set[str] = set()
    out: list[Passage] = []
    rounds = 0
    while len(out) < size:
        rounds += 1
        if rounds > 200:
            raise QuarryError(f"only {len(out)} distinct passages can be made from {folder}")
        batch: list[Passage] = []
        for file, sents in sources:
            title, authority, year = _about(file)
            order = list(range(len(sents)))
            if rounds > 1:  # later rounds recombine sentences of the same inspection
                rng.shuffle(order)
            i = 0
            while i < len(order):
                n = rng.randint(2, 4)
                text = " ".join(sents[j] for j in order[i:i + n])
                i += n
                if text not in seen and len(order[i - n:i]) >= 2:
                    seen.add(text)
                    batch.append(Passage("", text, title, authority, year))
        rng.shuffle(batch)
        out.extend(batch)
    return [Passage(f"p{i:06d}", p.text, p.title, p.authority, p.year) for i, p in enumerate(out[:size])]
