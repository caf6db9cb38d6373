"""Chinese line breaking for the documents: never inside a number with its unit or an identifier, and with the
避头尾 rules of GB/T 15834 and W3C's Chinese layout requirements — closing punctuation never starts a line, opening
punctuation never ends one.

A line is filled with *units*: one Chinese character (with the opening punctuation before it and the closing
punctuation after it), or one run of Latin letters, digits and the marks inside numbers and codes
(``GD-120117-00010``, ``5.41``, ``39,512,345.678``) with its unit when one follows (``5.41 亩``, ``85.4512 公顷``).
A unit wider than the line is the only thing ever cut.
"""

from __future__ import annotations

import re

UNITS = ("平方公里", "平方米", "公顷", "万亩", "公里", "千米", "亩", "米", "km²", "m²", "ha", "km", "mu", "m")
OPENING = "（《“‘〔【(["
CLOSING = "，。、；：！？）》”’〕】),.;:!?%"
UNIT = re.compile(
    rf"[{re.escape(OPENING)}]*[\u4e00-\u9fff]{{1,8}}〔\d{{4}}〕\d+号[{re.escape(CLOSING)}]*|"  # 文号: 自然资发〔2022〕142号
    rf"[{re.escape(OPENING)}]*"
    rf"(?:[0-9A-Za-z][0-9A-Za-z.,:/_+\-−–°′″·@#&*=]*(?:[ \u00a0]?(?:{'|'.join(map(re.escape, UNITS))})(?![0-9A-Za-z]))?"
    rf"|[^\s{re.escape(OPENING)}{re.escape(CLOSING)}]|[{re.escape(CLOSING)}])"
    rf"[{re.escape(CLOSING)}]*|\s+")


def units(text: str) -> list[str]:
    """``text`` cut into the pieces a line may break between (spaces are pieces of their own)."""
    return UNIT.findall(text)


def break_lines(text: str, width: float, measure) -> list[str]:
    """``text`` as lines no wider than ``width`` (``measure(s)`` gives the width of ``s``), each explicit line
    break kept; spaces at a break are dropped."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for unit in units(paragraph):
            candidate = line + unit
            if measure(candidate) <= width or not line.strip():
                if not line.strip() and unit.isspace():
                    continue
                line = candidate
                while measure(line) > width and len(line) > 1:  # a unit wider than the line: cut it
                    cut = len(line) - 1
                    while cut > 1 and measure(line[:cut]) > width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
                continue
            lines.append(line.rstrip())
            line = "" if unit.isspace() else unit
        lines.append(line.rstrip())
    return lines


def unbreakable(text: str) -> str:
    """``text`` for a renderer that breaks lines itself (Word): a no-break space between a number and its unit and
    non-breaking hyphens inside codes, so neither is ever split."""
    text = re.sub(rf"(\d) ({'|'.join(map(re.escape, UNITS))})(?![0-9A-Za-z])", "\\1\u00a0\\2", text)
    return re.sub(r"(?<=[0-9A-Za-z])-(?=[0-9A-Za-z])", "\u2011", text)
