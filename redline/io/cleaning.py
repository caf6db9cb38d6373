"""Text read from an untrusted file made safe to show: control and bidi-override characters removed (a name that
reverses itself on screen, a NUL that breaks a document) and its length capped, each change told in a correction.
"""

from __future__ import annotations

import re

MAX_TEXT = 200
"""Characters kept of a name, an id or an attribute value shown in reports and documents."""
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0/C1 control characters (tab and line feed kept) and the bidi marks and overrides (LRM, RLM, LRE…RLO, LRI…PDI)."""


def cleaned(text: str, *, limit: int = MAX_TEXT) -> tuple[str, str | None]:
    """``text`` with unsafe characters removed and cut to ``limit`` characters (an ellipsis marks the cut), and what
    was done to it in words (None when nothing)."""
    safe = UNSAFE.sub("", text)
    done = []
    if len(safe) != len(text):
        done.append(f"{len(text) - len(safe)} control or bidi-override characters removed")
    if len(safe) > limit:
        done.append(f"cut from {len(safe):,} to {limit} characters")
        safe = safe[: limit - 1] + "…"
    return safe, "; ".join(done) or None
