"""The one table of how results look and are called: status and verdict words (Chinese in the trade's terms:
不符合 / 需补充论证 / 符合 / 不涉及) and their colours, read by the maps, the map sheet, the documents, the
workbooks and the terminal summary alike. The JSON keeps its statuses (violation, review, pass, clear)."""

from __future__ import annotations

STATUS_WORDS = {
    "zh": {"violation": "不符合", "review": "需补充论证", "pass": "符合", "clear": "不涉及", "not_checked": "未检查"},
    "en": {"violation": "violation", "review": "review", "pass": "compliant", "clear": "clear",
           "not_checked": "not checked"},
}
"""A finding's status in words; "pass" is a clear finding that involves features (inside the urban boundary, a
准保护区 that decides nothing), "clear" one that involves none."""
VERDICT_WORDS = {"zh": {"pass": "符合", "review": "需补充论证", "violation": "不符合"},
                 "en": {"pass": "compliant", "review": "review needed", "violation": "violation"}}
COLOURS = {"violation": "#d7191c", "review": "#e66e14", "pass": "#1a9641", "clear": "#1a9641", "not_checked": "#7b7b7b"}
"""Status (and verdict) → colour, as hex."""
PROJECT_COLOUR = "#2c7bb6"
"""The project's boundary, on maps and map sheets."""
NEUTRAL_COLOUR = "#555555"
"""Layers without a colour of their own, the nearest-feature lines, outlines and notes."""


def status_key(finding) -> str:
    """``finding``'s key in ``STATUS_WORDS``: its status, or "pass" for a clear finding that involves features."""
    status = finding.status.value
    return "pass" if status == "clear" and finding.features else status


def rgb(status: str) -> tuple[int, int, int]:
    """The colour of ``status`` as 0–255 red, green, blue."""
    colour = COLOURS[status]
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
