"""Constraint 5 — urban development boundary (城镇开发边界): urban construction stays inside it."""

from redline.model import Kind, Status, area_measures
from redline.rules.base import Rule, finding

RULE = Rule("urban_boundary", Kind.POLYGON, "城镇开发边界", "Urban development boundary",
            "(十一) 严格管控城镇开发边界", "(XI) Strictly control the urban development boundary",
            figure="outside_area_m2", map_outside=True, proximity=False)


def evaluate(overlap, context):
    """Review when part of the project lies outside the boundary (only some projects may be built there)."""
    inside = overlap.total
    outside = max(context.project_area_m2 - inside, 0.0)
    measures = {**area_measures(outside, project_area_m2=context.project_area_m2, prefix="outside_"),
                **area_measures(inside, project_area_m2=context.project_area_m2, prefix="inside_")}
    if outside <= 0.01:
        return finding(RULE, Status.CLEAR, "Entirely inside the urban development boundary.", "全部位于城镇开发边界内。",
                       measures=measures, features=overlap.features, layer=overlap.layer)
    return finding(RULE, Status.REVIEW,
                   f"{outside / 10_000:,.2f} ha ({measures['outside_share']:.1%}) lies outside the urban development "
                   "boundary: allowed only for the uses permitted there (e.g. linear infrastructure, farming facilities).",
                   f"{outside / 10_000:,.2f} 公顷（{measures['outside_share']:.1%}）位于城镇开发边界外，"
                   "须核实是否属于允许在边界外建设的项目。",
                   measures=measures, features=overlap.features, layer=overlap.layer)
