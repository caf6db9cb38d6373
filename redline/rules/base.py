"""What every rule shares: its metadata, the context it sees, and how a finding is made."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from redline.model import Finding, Kind, Options, Status


@dataclass(frozen=True)
class Rule:
    """A constraint, as every front reads it: the manifest ``rule`` key of the layer it reads, that layer's kind,
    titles and clause, the class roles it needs, its headline figure and what a map shows of it."""

    id: str
    kind: Kind
    title_zh: str
    title_en: str
    clause: str
    """The clause enforced, in its original wording."""
    clause_en: str = ""
    """The clause in English (a translation)."""
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Class roles the layer's manifest ``classes`` must name (role → zh and en title); empty for a layer of one class."""
    figure: str = "area_m2"
    """The headline measure: a batch's ``<id>_<figure>`` column."""
    totals: str = "km2"
    """Unit of the layer's totals in ``redline layers``: ``km2``, ``mu`` or ``km``."""
    map_roles: tuple[str, ...] | None = None
    """Roles whose shared pieces the map draws (None: every role)."""
    map_outside: bool = False
    """The map draws the part of the footprint *outside* the layer (what needs review is not being inside)."""
    shown: bool = True
    """The layer is drawn when the map opens (else listed in the layer control, off)."""
    popup_measures: tuple[str, ...] = ()
    """Measures an intrusion popup lists besides the area and share."""
    proximity: bool = True
    """A polygon rule the project does not touch reports the nearest feature within the search radius."""
    decides: bool = True
    """False for a tabulation: its findings give figures for the file and never change the verdict."""
    violation_roles: tuple[str, ...] | None = None
    """Roles whose occupation makes the violation (None: every role the map shows); what ``redline avoid`` removes
    for a violation, the others only with ``--avoid-review``."""

    def map_pieces(self, overlap, footprint) -> dict:
        """The pieces a reviewer should see, by role: the shared pieces of ``map_roles``, or the outside part."""
        if self.map_outside:
            inside = overlap.pieces.get("")
            return {"outside": footprint.difference(inside) if inside is not None else footprint}
        return {role: piece for role, piece in overlap.pieces.items() if self.map_roles is None or role in self.map_roles}

    def role_title(self, role: str, lang: str) -> str:
        """The role's title in ``lang`` ('zh' or 'en'); the role itself when the rule has no title for it."""
        titles = self.roles.get(role)
        return (titles[0] if lang == "zh" else titles[1]) if titles else role
ACTIVITIES = {
    1: "管护巡护、保护执法、科学研究、调查监测、测绘导航、防灾减灾救灾、军事国防、疫情防控等活动及必要设施",
    2: "原住居民和其他合法权益主体在不扩大现有规模和强度前提下的种植、放牧、捕捞、养殖及必要生产生活设施",
    3: "经依法批准的考古调查发掘、古生物化石调查发掘、标本采集和文物保护活动",
    4: "人工商品林抚育采伐，或以提升森林质量、优化栖息地、建设生物防火隔离带为目的的树种更新",
    5: "不破坏生态功能的适度参观旅游、科普宣教及符合规划的配套服务设施和必要公共设施",
    6: "必须且无法避让、符合县级以上国土空间规划的线性基础设施、通讯、防洪、供水设施及航道疏浚等",
    7: "地质调查与矿产资源勘查开采（公益性地质调查、铀矿、已设油气探矿权等）",
    8: "依据县级以上国土空间规划和生态保护修复专项规划开展的生态修复",
    9: "根据法律法规和国界管理制度协定开展的边界边境通视道清理及界务工程",
    10: "法律法规规定允许的其他人为活动",
}
"""The 10 limited human activities allowed in the red line: 自然资源部 生态环境部 国家林业和草原局
《关于加强生态保护红线管理的通知（试行）》(自然资发〔2022〕142号), section 一(二)."""


@dataclass(frozen=True)
class Context:
    """What every rule may know besides its overlap: the project's area (m²) and the declared options."""

    project_area_m2: float
    options: Options


def finding(rule: Rule, status: Status, reason_en: str, reason_zh: str, *, measures=None, features=(),
            exemption: str | None = None, layer: str | None = None) -> Finding:
    """A finding of ``rule`` with its titles and clause filled in."""
    return Finding(rule=rule.id, title_zh=rule.title_zh, title_en=rule.title_en, clause=rule.clause,
                   clause_en=rule.clause_en, status=status, reason_en=reason_en, reason_zh=reason_zh,
                   measures=measures or {}, features=tuple(features), exemption=exemption, layer=layer)


def not_checked(rule: Rule, problem: str) -> Finding:
    """The finding of a rule whose layer is missing or unreadable: never silent."""
    return finding(rule, Status.NOT_CHECKED, f"Not checked: {problem}", f"未能检查：{problem}")


def national_major_exemption(options: Options) -> str | None:
    """The exemption text for a declared national major project, or None."""
    if options.national_major:
        return "national major project (国家重大项目): needs State Council approval, sent to review"
    return None


def with_nearest(found: Finding, nearest, radius_m: float) -> Finding:
    """``found`` with the nearest feature (``redline.engine.Nearest`` or None within ``radius_m``) added to its
    reasons and its ``nearest`` block."""
    if nearest is None:
        return dataclasses.replace(found, nearest={"search_radius_m": radius_m},
                                   reason_en=f"{found.reason_en} None within {radius_m:,.0f} m.",
                                   reason_zh=f"{found.reason_zh}{radius_m:,.0f} 米内无。")
    return dataclasses.replace(
        found, nearest={"layer": nearest.layer, "name": nearest.name, "distance_m": nearest.distance_m,
                        "search_radius_m": radius_m},
        reason_en=f"{found.reason_en} Nearest: {nearest.name}, {nearest.distance_m:,.0f} m away.",
        reason_zh=f"{found.reason_zh}最近：{nearest.name}，相距 {nearest.distance_m:,.0f} 米。")
