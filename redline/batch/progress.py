"""A one-line progress bar for long batches."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """A one-line progress bar on stderr with rate and ETA, after ``label`` (what is being done, Chinese first); call
    it with (finished, total)."""

    def __init__(self, label: str = "", stream=None, width: int = 30):
        self.label, self.stream, self.width, self.start, self.open = label, stream or sys.stderr, width, None, False

    def __call__(self, finished: int, total: int) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start = (now, finished)
        start, first = self.start
        rate = (finished - first) / (now - start) if now > start else 0.0
        eta = f"{(total - finished) / rate:,.0f} s" if rate else "?"
        filled = int(self.width * finished / total) if total else self.width
        label = f"{self.label} " if self.label else ""
        bar = f"[{'#' * filled}{'.' * (self.width - filled)}]"
        self.stream.write(f"\r{label}{bar} {finished:,}/{total:,} {rate:,.0f}/s ETA {eta} ")
        self.open = finished < total
        if not self.open:
            self.stream.write("\n")
        self.stream.flush()

    def end(self) -> None:
        """End a bar left mid-line (the batch stopped), so that what follows starts on a line of its own."""
        if self.open:
            self.stream.write("\n")
            self.open = False
