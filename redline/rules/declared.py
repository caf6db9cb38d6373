"""Constraints declared in a manifest, without code: a layer with ``rule = "area"`` and a ``constraint`` table.

::

    [layers.water_sources]
    rule = "area"
    class_field = "level"
    classes = { first = "一级保护区", second = "二级保护区", quasi = "准保护区" }
    ...
    [layers.water_sources.constraint]
    clause = "《饮用水水源保护区污染防治管理规定》第十二条 …"        # the original wording (clause_en: a translation)
    status = { first = "violation", second = "review", quasi = "info" }  # per class; a layer without classes: status = "review"
    buffer_m = 200                                                      # optional: the surroundings of the classes
    buffer_status = "review"                                            # that are not info, and their status
    exemptions = { national_major = "review" }                          # a declaration lowers a violation to this
    reason_zh = "占用{title}{area_ha:.2f}公顷（占项目{share:.1%}）：{classes}；涉及{names}"
    reason_en = "Occupies {area_ha:.2f} ha of {title} ({share:.1%} of the project): {classes}; {names}"

Statuses are ``violation``, ``review`` and ``info`` (reported, decides nothing). Exemptions name a declaration
(``national_major``, ``activity``) and the status a violation takes when it is declared. Reason templates are
Python format strings over ``title``, ``area_m2``, ``area_ha``, ``area_mu``, ``share``, ``classes`` (each class
occupied with its area), ``names`` (features hit), ``buffer_m`` and ``buffer_area_ha``; each is tried on
sample figures when the manifest is read, so a typo is refused then, not in the middle of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from redline.crs import SQUARE_METRES_PER_MU
from redline.model import Finding, Kind, Status
from redline.rules.base import Rule, finding

KIND, TABULATE = "area", "tabulate"
KINDS = (KIND, TABULATE)
"""The manifest ``rule`` values of declared constraints: an area constraint, and a tabulation (no verdict)."""
STATUSES = {"violation": Status.VIOLATION, "review": Status.REVIEW, "info": Status.CLEAR}
DECLARATIONS = ("national_major", "activity")
FIELDS = ("title", "area_m2", "area_ha", "area_mu", "share", "classes", "names", "buffer_m", "buffer_area_ha")
CONSTRAINT_KEYS = ("clause", "clause_en", "status", "buffer_m", "buffer_status", "exemptions", "reason_zh", "reason_en")
SEVERITY = {Status.CLEAR: 0, Status.REVIEW: 1, Status.VIOLATION: 2}


@dataclass(frozen=True)
class Declared:
    """A declared area constraint: a rule (``RULE``, ``evaluate``) made from a manifest entry."""

    RULE: Rule
    status: dict[str, str]
    """Class role ("" for a layer without classes) → violation / review / info."""
    buffer_m: float | None
    buffer_status: str
    exemptions: dict[str, str]
    reason_zh: str
    reason_en: str

    def reach_m(self, options) -> float | None:
        return self.buffer_m

    def evaluate(self, overlap, context) -> Finding:
        area = overlap.total
        near = sum(overlap.near_by_role[role] - amount for role, amount in overlap.by_role.items()
                   if self.status[role] != "info") if self.buffer_m and overlap.near_by_role else 0.0
        statuses = [STATUSES[self.status[role]] for role, amount in overlap.by_role.items() if amount > 0]
        if near > 0:
            statuses.append(STATUSES[self.buffer_status])
        status = max(statuses, key=SEVERITY.get, default=Status.CLEAR)
        exemption = None
        if status is Status.VIOLATION:
            declared = [name for name in self.exemptions if getattr(context.options, name)]
            if declared:
                status = STATUSES[self.exemptions[declared[0]]]
                exemption = f"{declared[0]} declared (已申报): {self.RULE.title_zh} violation → {status.value}"
        measures = {"area_m2": area, "share": area / context.project_area_m2 if context.project_area_m2 else 0.0,
                    **{f"{role}_area_m2": amount for role, amount in overlap.by_role.items() if role},
                    **({"buffer_m": self.buffer_m, "buffer_area_m2": near} if self.buffer_m else {})}
        if not statuses:
            text = ("未涉及{title}。", "Outside {title}.")
            return finding(self.RULE, Status.CLEAR, text[1].format(title=self.RULE.title_en),
                           text[0].format(title=self.RULE.title_zh), measures=measures, layer=overlap.layer)
        return finding(self.RULE, status, self.reason_en.format(**self._figures(overlap, measures, near, "en")),
                       self.reason_zh.format(**self._figures(overlap, measures, near, "zh")), measures=measures,
                       features=overlap.features, exemption=exemption, layer=overlap.layer)

    def _figures(self, overlap, measures, near, lang) -> dict:
        area = measures["area_m2"]
        unit = "公顷" if lang == "zh" else " ha"
        classes = ("、" if lang == "zh" else ", ").join(
            f"{self.RULE.role_title(role, lang)} {amount / 10_000:,.2f}{unit}"
            for role, amount in overlap.by_role.items() if role and amount > 0)
        return {"title": self.RULE.title_zh if lang == "zh" else self.RULE.title_en, "area_m2": area,
                "area_ha": area / 10_000, "area_mu": area / SQUARE_METRES_PER_MU, "share": measures["share"],
                "classes": classes, "names": "、".join(sorted({hit.name for hit in overlap.features})) or "—",
                "buffer_m": self.buffer_m or 0.0, "buffer_area_ha": near / 10_000}


@dataclass(frozen=True)
class Tabulation:
    """Area by class, deciding nothing (ArcGIS "Tabulate Intersection"): gross, deduction and net per class.

    The deduction is a share per class (e.g. the 田坎 coefficient of cultivated land in a 三调 land-use layer),
    from the ``constraint`` table's ``deduction = { "0103" = 0.08 }``.
    """

    RULE: Rule
    deduction: dict[str, float]

    def evaluate(self, overlap, context) -> Finding:
        measures, parts = {}, {"zh": [], "en": []}
        for role, gross in overlap.by_role.items():
            if gross <= 0:
                continue
            deducted = gross * self.deduction.get(role, 0.0)
            measures.update({f"{role}_area_m2": gross, f"{role}_deduction_m2": deducted, f"{role}_net_m2": gross - deducted})
            for lang, unit in (("zh", "公顷"), ("en", " ha")):
                detail = (f"（扣除 {deducted / 10_000:,.2f}，净 {(gross - deducted) / 10_000:,.2f}）" if lang == "zh" else
                          f" (deduction {deducted / 10_000:,.2f}, net {(gross - deducted) / 10_000:,.2f})") if deducted else ""
                parts[lang].append(f"{self.RULE.role_title(role, lang)}({role}) {gross / 10_000:,.2f}{unit}{detail}")
        deducted = sum(v for k, v in measures.items() if k.endswith("_deduction_m2"))
        measures.update({"area_m2": overlap.total, "deduction_m2": deducted, "net_m2": overlap.total - deducted})
        return finding(self.RULE, Status.CLEAR, f"By class: {'; '.join(parts['en']) or 'none'}.",
                       f"按地类：{'；'.join(parts['zh']) or '无'}。", measures=measures, features=overlap.features,
                       layer=overlap.layer)


def declare(spec) -> Declared | Tabulation:
    """The declared constraint of a manifest layer (``LayerSpec`` with ``rule`` in ``KINDS``); ValueError listing
    what is wrong with its ``constraint`` table."""
    if spec.rule == TABULATE:
        return _tabulation(spec)
    table = dict(spec.constraint or {})
    problems = []
    roles = list(spec.classes) or [""]
    status = table.get("status", "review")
    status = {role: status for role in roles} if isinstance(status, str) else dict(status)
    problems += [f"class {role!r} has no status" for role in roles if role not in status]
    problems += [f"status names class {role!r}, which the layer does not have" for role in status if role not in roles]
    problems += [f"status {value!r} of {role!r} is not one of {', '.join(STATUSES)}" for role, value in status.items()
                 if value not in STATUSES]
    buffer_m = table.get("buffer_m")
    if buffer_m is not None and not (isinstance(buffer_m, (int, float)) and buffer_m > 0):
        problems.append(f"buffer_m {buffer_m!r} is not a positive number of metres")
    buffer_status = table.get("buffer_status", "review")
    if buffer_status not in STATUSES:
        problems.append(f"buffer_status {buffer_status!r} is not one of {', '.join(STATUSES)}")
    exemptions = dict(table.get("exemptions", {}))
    problems += [f"exemption {name!r} is not a declaration ({', '.join(DECLARATIONS)}) lowering to review or info"
                 for name, value in exemptions.items() if name not in DECLARATIONS or value not in ("review", "info")]
    templates = {lang: table.get(f"reason_{lang}") for lang in ("zh", "en")}
    problems += [f"reason_{lang} is missing" for lang, text in templates.items() if not text]
    problems += [f"unknown key {key!r} (known: {', '.join(CONSTRAINT_KEYS)})" for key in table if key not in CONSTRAINT_KEYS]
    for lang, text in templates.items():
        if text:
            try:
                text.format(**dict.fromkeys(FIELDS, 0.0))
            except (KeyError, ValueError, IndexError) as error:
                problems.append(f"reason_{lang} {text!r} cannot be filled ({type(error).__name__}: {error}); "
                                f"its fields: {', '.join(FIELDS)}")
    if not table.get("clause"):
        problems.append("clause (the original wording) is missing")
    if problems:
        raise ValueError("; ".join(problems))
    titles = {role: (value, value) for role, value in spec.classes.items()}
    rule = Rule(spec.id, Kind.POLYGON, spec.title_zh, spec.title_en, table["clause"], table.get("clause_en", ""), roles=titles,
                map_roles=tuple(role for role in roles if status[role] != "info") or None,
                violation_roles=tuple(role for role in roles if status[role] == "violation"))
    return Declared(rule, status, float(buffer_m) if buffer_m else None, buffer_status, exemptions,
                    templates["zh"], templates["en"])


def _tabulation(spec) -> Tabulation:
    table = dict(spec.constraint or {})
    deduction = dict(table.get("deduction", {}))
    problems = [f"deduction names class {role!r}, which the layer does not have" for role in deduction
                if role not in spec.classes]
    problems += [f"deduction {value!r} of {role!r} is not a share from 0 to 1" for role, value in deduction.items()
                 if not (isinstance(value, (int, float)) and 0 <= value <= 1)]
    if not spec.classes:
        problems.append("a tabulation needs classes (class_field and classes)")
    problems += [f"unknown key {key!r} (known: clause, clause_en, deduction)" for key in table
                 if key not in ("clause", "clause_en", "deduction")]
    if problems:
        raise ValueError("; ".join(problems))
    titles = {role: (value, value) for role, value in spec.classes.items()}
    rule = Rule(spec.id, Kind.POLYGON, spec.title_zh, spec.title_en, table.get("clause", "统计用途，不作结论"),
                table.get("clause_en", "tabulation only: decides nothing"),
                roles=titles, map_roles=(), shown=False, proximity=False, decides=False)
    return Tabulation(rule, {role: float(value) for role, value in deduction.items()})
