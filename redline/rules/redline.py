"""Constraint 1 — ecological protection red line (生态保护红线): no intrusion."""

from redline.model import Kind, Status, area_measures
from redline.rules.base import ACTIVITIES, Rule, finding, national_major_exemption

RULE = Rule("redline", Kind.POLYGON, "生态保护红线", "Ecological protection red line",
            "(十一) 严守1557.77平方公里生态保护红线……确保功能不降低、性质不改变",
            "(XI) Hold the 1,557.77 km² ecological protection red line … so that its functions do not decline and its "
            "nature does not change")


def evaluate(overlap, context):
    """Violation on any intrusion; review when a national major project or an allowed activity is declared."""
    area = overlap.total
    measures = area_measures(area, project_area_m2=context.project_area_m2)
    measures["layer_area_m2"] = overlap.layer_total
    if area == 0:
        return finding(RULE, Status.CLEAR, "No intrusion into the red line.", "未占用生态保护红线。",
                       measures=measures, layer=overlap.layer)
    exemptions = [text for text in (national_major_exemption(context.options), _activity(context.options)) if text]
    names = "、".join(hit.name for hit in overlap.features)
    return finding(
        RULE, Status.REVIEW if exemptions else Status.VIOLATION,
        f"Intrudes {area:,.1f} m² ({measures['share']:.2%} of the project) into the red line: {names}.",
        f"占用生态保护红线 {area:,.1f} 平方米（占项目 {measures['share']:.2%}）：{names}。",
        measures=measures, features=overlap.features, exemption="; ".join(exemptions) or None, layer=overlap.layer)


def _activity(options):
    if options.activity is None:
        return None
    return f"allowed activity {options.activity} (有限人为活动第{options.activity}类): {ACTIVITIES[options.activity]}"
