"""Constraint 2 — farmland red line (耕地红线): permanent basic farmland must not be occupied."""

from redline.crs import SQUARE_METRES_PER_MU
from redline.model import Kind, Status, area_measures
from redline.rules.base import Rule, finding, national_major_exemption

RULE = Rule("farmland", Kind.POLYGON, "耕地与永久基本农田", "Farmland red line",
            "(十一) 严守467.46万亩耕地红线", "(XI) Hold the farmland red line of 4.6746 million mu",
            roles={"permanent": ("永久基本农田", "permanent basic farmland"), "other": ("一般耕地", "other cultivated land")},
            figure="permanent_area_m2", totals="mu", violation_roles=("permanent",))


def evaluate(overlap, context):
    """Permanent basic farmland → violation (review for a national major project); other cultivated land → review."""
    permanent, other = overlap.by_role.get("permanent", 0.0), overlap.by_role.get("other", 0.0)
    measures = {**area_measures(permanent + other, project_area_m2=context.project_area_m2),
                **area_measures(permanent, prefix="permanent_"), **area_measures(other, prefix="other_"),
                "layer_area_m2": overlap.layer_total}
    figures_en = f"{permanent / SQUARE_METRES_PER_MU:,.2f} mu permanent basic farmland, " \
                 f"{other / SQUARE_METRES_PER_MU:,.2f} mu other cultivated land"
    figures_zh = f"永久基本农田 {permanent / SQUARE_METRES_PER_MU:,.2f} 亩，一般耕地 {other / SQUARE_METRES_PER_MU:,.2f} 亩"
    common = dict(measures=measures, features=overlap.features, layer=overlap.layer)
    if permanent > 0:
        exemption = national_major_exemption(context.options)
        return finding(RULE, Status.REVIEW if exemption else Status.VIOLATION,
                       f"Occupies {figures_en}.", f"占用{figures_zh}。", exemption=exemption, **common)
    if other > 0:
        return finding(RULE, Status.REVIEW,
                       f"Occupies {figures_en}: needs equal compensation (占补平衡).",
                       f"占用{figures_zh}，须落实占补平衡。", **common)
    return finding(RULE, Status.CLEAR, "No cultivated land occupied.", "未占用耕地。", **common)
