"""Progress for long runs: one bar per stage (reading, chunking, embedding) with counts and ETA.

`build_index` reports through a `Progress`: `stage(name, total, unit)` opens a counter that the
build advances, `note(message)` says something once. `Bars` draws tqdm bars on stderr, `Silent`
says nothing (`--quiet`, tests), and a plain callable still works: it receives one line per stage.
"""

from __future__ import annotations

import sys
from typing import Callable, Protocol, TextIO


class Stage(Protocol):
    def advance(self, n: int = 1) -> None: ...
    def status(self, text: str) -> None: ...  # a live detail beside the count (per-worker rates while embedding)
    def close(self) -> None: ...


class Progress(Protocol):
    def stage(self, name: str, total: int, unit: str = "doc") -> Stage: ...
    def note(self, message: str) -> None: ...


class _NoStage:
    def advance(self, n: int = 1) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class Silent:
    """No output at all."""

    def stage(self, name: str, total: int, unit: str = "doc") -> Stage:
        return _NoStage()

    def note(self, message: str) -> None:
        pass


class Bars:
    """tqdm bars on a stream (stderr): "reading  120/431 docs [00:41<01:47, 2.9 docs/s]"."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.interval = 0.5 if tty else 15.0  # a log file gets a line every 15 s, not a flood

    def stage(self, name: str, total: int, unit: str = "doc") -> Stage:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=f"quarry: {name}", unit=unit, file=self.stream, mininterval=self.interval,
                   dynamic_ncols=True, leave=True,
                   bar_format="{desc} {n_fmt}/{total_fmt} {unit}s |{bar:20}| [{elapsed}<{remaining}, {rate_fmt}{postfix}]")
        return _TqdmStage(bar)

    def note(self, message: str) -> None:
        print(f"quarry: {message}", file=self.stream, flush=True)


class _TqdmStage:
    def __init__(self, bar) -> None:
        self.bar = bar

    def advance(self, n: int = 1) -> None:
        self.bar.update(n)

    def status(self, text: str) -> None:
        self.bar.set_postfix_str(text, refresh=False)

    def close(self) -> None:
        self.bar.close()


class Messages:
    """Adapts a callable that takes one line: a line when a stage starts and when it ends."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    def stage(self, name: str, total: int, unit: str = "doc") -> Stage:
        self.say(f"{name} {total} {unit}(s)")
        return _MessageStage(self.say, name, total, unit)

    def note(self, message: str) -> None:
        self.say(message)


class _MessageStage:
    def __init__(self, say: Callable[[str], None], name: str, total: int, unit: str) -> None:
        self.say, self.name, self.total, self.unit, self.done, self.detail = say, name, total, unit, 0, ""

    def advance(self, n: int = 1) -> None:
        self.done += n

    def status(self, text: str) -> None:
        self.detail = text

    def close(self) -> None:
        self.say(f"{self.name}: {self.done}/{self.total} {self.unit}(s) done" + (f" ({self.detail})" if self.detail else ""))


def as_progress(progress: Progress | Callable[[str], None] | None) -> Progress:
    """Whatever the caller passed, as a Progress (None = silent)."""
    if progress is None:
        return Silent()
    if hasattr(progress, "stage"):
        return progress  # type: ignore[return-value]
    return Messages(progress)  # type: ignore[arg-type]
