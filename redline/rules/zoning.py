"""Constraint 8 — environmental zoning (生态环境分区管控): priority-protection units need review."""

from redline.model import Kind, Status, area_measures
from redline.rules.base import Rule, finding

RULE = Rule("zoning", Kind.POLYGON, "生态环境管控单元", "Environmental control units",
            "(十一) 强化生态环境分区管控体系落地实施",
            "(XI) Put the ecological-environmental zoning control system into practice",
            roles={"priority": ("优先保护单元", "priority protection unit"), "key": ("重点管控单元", "key control unit"),
                   "general": ("一般管控单元", "general control unit")},
            figure="priority_area_m2", map_roles=("priority",), shown=False, proximity=False)


def evaluate(overlap, context):
    """Review when any part falls in a priority-protection unit; key and general units are reported as figures."""
    measures = {}
    for role in RULE.roles:
        measures.update(area_measures(overlap.by_role.get(role, 0.0), project_area_m2=context.project_area_m2,
                                      prefix=f"{role}_"))
    priority = overlap.by_role.get("priority", 0.0)
    common = dict(measures=measures, features=overlap.features, layer=overlap.layer)
    if priority > 0:
        return finding(RULE, Status.REVIEW,
                       f"{priority / 10_000:,.2f} ha in priority-protection units: large-scale, high-intensity "
                       "industrial and urban construction is restricted there.",
                       f"{priority / 10_000:,.2f} 公顷位于优先保护单元，限制大规模、高强度工业和城镇建设。", **common)
    return finding(RULE, Status.CLEAR, "No priority-protection unit touched.", "未涉及优先保护单元。", **common)
