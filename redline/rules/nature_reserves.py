"""Constraint 7 — nature reserves (自然保护地): core zones closed, general zones restricted."""

from redline.model import Kind, Status, area_measures
from redline.rules.base import Rule, finding, national_major_exemption

RULE = Rule("nature_reserves", Kind.POLYGON, "自然保护地", "Nature reserves",
            "(十二) 推进以国家公园为主体的自然保护地体系建设",
            "(XII) Build the system of protected areas with national parks as its mainstay",
            roles={"core": ("核心保护区", "core zone"), "general": ("一般控制区", "general control zone")},
            figure="core_area_m2", violation_roles=("core",))


def evaluate(overlap, context):
    """Core zone → violation (review for a national major project); general control zone → review."""
    core, general = overlap.by_role.get("core", 0.0), overlap.by_role.get("general", 0.0)
    measures = {**area_measures(core + general, project_area_m2=context.project_area_m2),
                **area_measures(core, prefix="core_"), **area_measures(general, prefix="general_")}
    common = dict(measures=measures, features=overlap.features, layer=overlap.layer)
    names = "、".join(sorted({hit.name for hit in overlap.features}))
    if core > 0:
        exemption = national_major_exemption(context.options)
        return finding(RULE, Status.REVIEW if exemption else Status.VIOLATION,
                       f"{core / 10_000:,.2f} ha in a reserve's core zone ({names}).",
                       f"占用自然保护地核心保护区 {core / 10_000:,.2f} 公顷（{names}）。", exemption=exemption, **common)
    if general > 0:
        return finding(RULE, Status.REVIEW,
                       f"{general / 10_000:,.2f} ha in a reserve's general control zone ({names}).",
                       f"占用自然保护地一般控制区 {general / 10_000:,.2f} 公顷（{names}）。", **common)
    return finding(RULE, Status.CLEAR, "Outside every nature reserve.", "未占用自然保护地。", **common)
