"""Text decoding for planners' text formats (CSV, TXT): UTF-8 with or without BOM, else GBK (GB18030)."""

from __future__ import annotations

from pathlib import Path

from redline.errors import InputError


def decode_text(path: Path, encoding: str | None = None) -> str:
    """The file's text in ``encoding``, or in UTF-8 (BOM allowed) falling back to GB18030, a superset of GBK."""
    data = path.read_bytes()
    for candidate in ([encoding] if encoding else ["utf-8-sig", "gb18030"]):
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    raise InputError(f"{path}: the text is not in {encoding or 'UTF-8 or GBK'}; pass --encoding with its encoding")
