"""The rule registry: one module per constraint of the 2024 Beautiful Tianjin policy, each turning an overlap
into a finding.

Every rule module defines ``RULE`` (a ``base.Rule``: the manifest ``rule`` key of the layer it reads, the
layer's kind, titles, the clause it enforces, the class roles it needs, its headline figure and what a map
shows) and ``evaluate(overlap, context) -> Finding``; a rule that also measures the footprint's surroundings
defines ``reach_m(options)`` (metres). Adding a coded rule is one module and one entry in ``RULES``; the batch
tables, the terminal, the map, the manifest check and the tests read them from here. Constraints declared
in a manifest (``rule = "area"`` or ``"tabulate"``, ``declared.py``) join them per manifest (``rules_of``).
"""

from redline.model import Kind
from redline.rules import (
    coastline,
    declared,
    farmland,
    nature_reserves,
    reclamation,
    redline,
    river_lake,
    urban_boundary,
    zoning,
)
from redline.rules.base import Rule

RULES = (redline, farmland, coastline, reclamation, urban_boundary, river_lake, nature_reserves, zoning)

REGION, LANDCOVER, INFORMATIONAL = "region", "landcover", "informational"
CONTEXT_LAYERS = {REGION: "districts and the region's outline (report context, map overview)",
                  LANDCOVER: "land cover raster (report context: area by class)",
                  INFORMATIONAL: "drawn on the map only"}
"""Manifest ``rule`` values of layers that feed no rule, and what they are for."""


def shown_by_default(rule_id: str) -> bool:
    """Whether a map draws a layer feeding ``rule_id`` when it opens: a rule's choice; districts are drawn (the
    reviewer's bearings offline), the other context layers and tabulations (which cover everything) start hidden."""
    rule = rule_for(rule_id)
    return rule.shown if rule else rule_id == REGION or rule_id not in (*CONTEXT_LAYERS, declared.TABULATE)


def rule_for(rule_id: str, rules=()) -> Rule | None:
    """The ``Rule`` with ``rule_id`` among ``rules`` (``LayerSet.rules``: with a manifest's declared constraints) or
    the registered ones, or None (a context layer or an unknown key)."""
    return next((module.RULE for module in (*rules, *RULES) if module.RULE.id == rule_id), None)


def fed_by(spec) -> str:
    """The id of the rule a manifest layer (``LayerSpec``) feeds: a declared constraint's own id, else its ``rule``."""
    return spec.id if spec.rule in declared.KINDS else spec.rule


def rules_of(specs) -> tuple:
    """Every rule a manifest's layers (``LayerSpec``) are checked against: the registered ones, then each
    constraint declared in the manifest (``redline.rules.declared``), in manifest order."""
    return RULES + tuple(declared.declare(spec) for spec in specs if spec.rule in declared.KINDS)


def layer_problems(spec) -> list[str]:
    """What a manifest layer (``LayerSpec``) lacks for the rule it names: an unknown rule key, the wrong kind,
    missing class roles, or a declared constraint that cannot be applied."""
    layer_id, rule_id, kind, classes = spec.id, spec.rule, spec.kind, spec.classes
    if rule_id in declared.KINDS:
        if kind != Kind.POLYGON:
            return [f"图层 {layer_id!r} 须为面图层 / layer {layer_id!r} is a {kind} layer but declared constraints read "
                    "polygon layers"]
        try:
            declared.declare(spec)
        except ValueError as error:
            return [f"图层 {layer_id!r} 的管控定义无法使用 / layer {layer_id!r}: its constraint {error}"]
        return []
    rule = rule_for(rule_id)
    if rule is None:
        if rule_id in CONTEXT_LAYERS:
            return []
        known = ", ".join([module.RULE.id for module in RULES] + list(CONTEXT_LAYERS) + list(declared.KINDS))
        return [f"图层 {layer_id!r} 的规则 {rule_id!r} 不存在 / layer {layer_id!r} names rule {rule_id!r}, which redline "
                f"does not have; use one of {known}"]
    problems = []
    if kind != rule.kind:
        problems.append(f"图层 {layer_id!r} 类型不符 / layer {layer_id!r} is a {kind} layer but rule {rule.id!r} reads "
                        f"{rule.kind} layers")
    for role in rule.roles:
        if role not in classes:
            problems.append(f"图层 {layer_id!r} 缺少类别 {role!r}（{rule.roles[role][0]}） / layer {layer_id!r} lacks class "
                            f"{role!r} ({rule.roles[role][0]}), which rule {rule.id!r} needs; its classes: "
                            f"{', '.join(classes) or 'none'}")
    return problems
