"""A one-line progress bar for long batches."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """A one-line progress bar on stderr with rate and ETA; call it with (finished, total)."""

    def __init__(self, stream=sys.stderr, width: int = 30):
        self.stream, self.width, self.start = stream, width, None

    def __call__(self, finished: int, total: int) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start = (now, finished)
        start, first = self.start
        rate = (finished - first) / (now - start) if now > start else 0.0
        eta = f"{(total - finished) / rate:,.0f} s" if rate else "?"
        filled = int(self.width * finished / total) if total else self.width
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {finished:,}/{total:,} {rate:,.0f}/s ETA {eta} ")
        if finished >= total:
            self.stream.write("\n")
        self.stream.flush()
