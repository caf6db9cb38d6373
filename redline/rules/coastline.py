"""Constraint 3 — mainland natural coastline retention must not fall (大陆自然岸线保有量不降低)."""

from redline.model import Kind, Status, length_measures
from redline.rules.base import Rule, finding

RULE = Rule("coastline", Kind.LINE, "大陆自然岸线", "Natural mainland coastline",
            "(十一) 加强海洋和海岸带国土空间管控……大陆自然岸线保有量不降低",
            "(XI) Strengthen spatial control of the sea and the coastal zone … the natural mainland coastline retained "
            "must not fall",
            roles={"natural": ("自然岸线", "natural coast"), "artificial": ("人工岸线", "artificial coast")},
            figure="natural_within_setback_length_m", totals="km", map_roles=("natural",),
            popup_measures=("natural_within_setback_length_m", "natural_in_footprint_length_m"))


def reach_m(options) -> float:
    """Natural coast within the setback of the footprint counts as taken."""
    return options.setback_m


def evaluate(overlap, context):
    """Violation when natural coast lies in the footprint or within the setback; the policy names no exemption."""
    setback = context.options.setback_m
    inside = overlap.by_role.get("natural", 0.0)
    lost = overlap.near_by_role.get("natural", 0.0)
    before = overlap.layer_by_role.get("natural", 0.0)
    coast = overlap.layer_total
    measures = {**length_measures(inside, prefix="natural_in_footprint_"),
                **length_measures(lost, prefix="natural_within_setback_"), "setback_m": setback,
                "city_natural_before_m": before, "city_natural_after_m": before - lost,
                "retention_before_share": before / coast if coast else 0.0,
                "retention_after_share": (before - lost) / coast if coast else 0.0}
    common = dict(measures=measures, features=tuple(h for h in overlap.features if h.role == "natural"),
                  layer=overlap.layer)
    if lost > 0:
        note = " National major projects are not exempt: retention must not fall." if context.options.national_major else ""
        return finding(RULE, Status.VIOLATION,
                       f"Takes {lost:,.1f} m of natural coastline (footprint {inside:,.1f} m, setback {setback:g} m): "
                       f"city natural coast {before / 1000:.2f} → {(before - lost) / 1000:.2f} km.{note}",
                       f"占用或阻隔自然岸线 {lost:,.1f} 米（用地范围内 {inside:,.1f} 米，退缩距离 {setback:g} 米），"
                       f"全市自然岸线 {before / 1000:.2f} → {(before - lost) / 1000:.2f} 公里。", **common)
    return finding(RULE, Status.CLEAR, f"No natural coastline within the footprint or {setback:g} m of it.",
                   f"用地范围及其 {setback:g} 米内无自然岸线。", **common)
