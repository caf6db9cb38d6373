"""Constraint 6 — river and lake shoreline control (河湖水域岸线空间管控)."""

from redline.model import Kind, Status, area_measures
from redline.rules.base import Rule, finding

RULE = Rule("river_lake", Kind.POLYGON, "河湖水域岸线管控区", "River and lake shoreline zones",
            "(十一) 严格河湖水域岸线空间管控",
            "(XI) Strictly control the space of river and lake waters and shorelines")


def evaluate(overlap, context):
    """Review when the project lies in a river or lake management zone (needs the water authority's consent)."""
    area = overlap.total
    measures = area_measures(area, project_area_m2=context.project_area_m2)
    if area == 0:
        return finding(RULE, Status.CLEAR, "Outside river and lake management zones.", "未占用河湖管理范围。",
                       measures=measures, layer=overlap.layer)
    names = "、".join(hit.name for hit in overlap.features)
    return finding(RULE, Status.REVIEW,
                   f"{area / 10_000:,.2f} ha inside river/lake management zones ({names}): needs the water authority's consent.",
                   f"占用河湖管理范围 {area / 10_000:,.2f} 公顷（{names}），须经水行政主管部门同意。",
                   measures=measures, features=overlap.features, layer=overlap.layer)
