"""The Chinese font of the printed documents: Noto Sans CJK SC, from the system (Debian ``fonts-noto-cjk``).

No font file is shipped with redline; ``scripts/test.sh`` and ``scripts/demo.sh`` install the Debian package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection

from redline.errors import RedlineError

FAMILY = "Noto Sans CJK SC"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts")
FILES = {False: "NotoSansCJK-Regular.ttc", True: "NotoSansCJK-Bold.ttc"}


@cache
def cjk_font(bold: bool = False) -> tuple[Path, int]:
    """The file of Noto Sans CJK SC (regular or bold) and the index of the SC face in that collection."""
    for folder in FONT_DIRS:
        for path in sorted(folder.rglob(FILES[bold])) if folder.is_dir() else ():
            with TTCollection(str(path), lazy=True) as collection:
                families = [face["name"].getDebugName(1) for face in collection.fonts]
            if FAMILY in families:
                return path, families.index(FAMILY)
    raise RedlineError(f"未找到中文字体 {FAMILY} / the Chinese font {FAMILY} ({FILES[bold]}) is not installed: "
                       "apt-get install fonts-noto-cjk")
