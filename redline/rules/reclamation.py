"""Constraint 4 — no new sea reclamation (不再新增围填海), except national major projects."""

from redline.model import Kind, Status, area_measures
from redline.rules.base import Rule, finding, national_major_exemption

RULE = Rule("reclamation", Kind.POLYGON, "围填海管控", "No new sea reclamation",
            "(十一) 除国家重大项目外，不再新增围填海",
            "(XI) No new sea reclamation except for national major projects")


def evaluate(overlap, context):
    """Any footprint seaward of today's coast is new reclamation: violation, review for a national major project."""
    area = overlap.total
    measures = area_measures(area, project_area_m2=context.project_area_m2)
    if area == 0:
        return finding(RULE, Status.CLEAR, "Nothing on the sea side of the coastline.", "未占用海域。",
                       measures=measures, layer=overlap.layer)
    exemption = national_major_exemption(context.options)
    return finding(RULE, Status.REVIEW if exemption else Status.VIOLATION,
                   f"Reclaims {area / 10_000:,.2f} ha of sea.", f"新增围填海 {area / 10_000:,.2f} 公顷。",
                   measures=measures, features=overlap.features, exemption=exemption, layer=overlap.layer)
