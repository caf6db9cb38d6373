"""The map sheet (审查图件): a printable page drawn with matplotlib, without a browser or a network.

The map is drawn in the CGCS2000 3-degree Gauss-Krüger zone of the project (zone 39, EPSG:4527, in Tianjin) at a
standard scale chosen so the project fits an A4 landscape frame (A3 when it does not), so that a sheet printed
at 100 % measures true with a ruler. Around the frame: grid ticks in metres, a scale bar, a north arrow (grid
north; the meridian convergence is stated), the legend, and the title block with 图件编号, 坐标系, 比例尺 and
制图日期.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as effects  # noqa: E402 - after the non-interactive backend is chosen
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Polygon, Rectangle  # noqa: E402
from pyproj import Proj, Transformer  # noqa: E402

from redline.crs import CGCS2000, gauss_kruger_crs  # noqa: E402
from redline.errors import GeometryError  # noqa: E402
from redline.model import Kind, Report, Status  # noqa: E402
from redline.report.fonts import FAMILY, cjk_font  # noqa: E402
from redline.report.review import beijing_date, crs_words  # noqa: E402
from redline.report.style import COLOURS, NEUTRAL_COLOUR, PROJECT_COLOUR, STATUS_WORDS, VERDICT_WORDS  # noqa: E402
from redline.report.typeset import break_lines  # noqa: E402
from redline.rules import REGION, fed_by, rule_for, shown_by_default  # noqa: E402

STANDARD_SCALES = (2_000, 5_000, 10_000, 25_000, 50_000, 100_000)
"""Scales a sheet is drawn at (1:N), the largest that fits the project and a margin of ``MARGIN_SHARE``."""
SMALL_SCALES = (250_000, 500_000, 1_000_000)
"""Used only when a project does not fit A3 at 1:100,000 (the title block then says so)."""
PAPERS_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}
MARGIN_SHARE = 0.12
DPI = 150
STATUS_COLOURS = {status: COLOURS[status.value] for status in Status}
PROJECT_DASHES = (0, (4, 4))
"""The project's outline, drawn over everything: long dashes, so what it encloses shows between them."""
TEXT = {
    "zh": {"title": "建设项目用地红线审查图", "number": "图件编号", "crs": "坐标系", "scale": "比例尺", "date": "制图日期",
           "verdict": "结论", "project": "项目用地范围", "district": "行政区界", "north": "北", "legend": "图例",
           "setback": "岸线退让范围（{setback_m:g} 米）", "beyond": "超出 A3 1:100,000 范围",
           "convergence": "子午线收敛角", "print": "请按 100% 比例打印。", "source": "数据来源", "issuer": "制图单位",
           "location": "区位图"},
    "en": {"title": "Red-line review map", "number": "Sheet no.", "crs": "CRS", "scale": "Scale", "date": "Drawn",
           "verdict": "Verdict", "project": "Project boundary", "district": "District boundary", "north": "N",
           "legend": "Legend", "setback": "Coastal setback ({setback_m:g} m)", "beyond": "beyond A3 at 1:100,000",
           "convergence": "meridian convergence", "print": "Print at 100 %.", "source": "Data", "issuer": "Drawn by",
           "location": "Location"},
}


@dataclass(frozen=True)
class Frame:
    """Where and how large a sheet's map is: paper, scale 1:``scale``, the map's size on paper (mm) and its
    extent on the ground (Gauss-Krüger metres)."""

    paper: str
    scale: int
    size_mm: tuple[float, float]
    bounds_m: tuple[float, float, float, float]


def sheet_crs(footprint):
    """The CGCS2000 3-degree Gauss-Krüger CRS (zone-prefixed eastings) of the zone holding ``footprint``'s centre."""
    zone = int(round(footprint.centroid.x / 3))
    return gauss_kruger_crs("CGCS2000", 3, zone, prefixed=True)


def map_frame(extent_m: tuple[float, float, float, float]) -> Frame:
    """The frame of a sheet for an extent (Gauss-Krüger metres): A4 at the largest standard scale that holds it with
    its margin, else A3 at the largest that does, else the largest small scale (A4, then A3)."""
    west, south, east, north = extent_m
    width_m, height_m = (east - west) * (1 + 2 * MARGIN_SHARE), (north - south) * (1 + 2 * MARGIN_SHARE)
    choices = [(paper, scale) for paper in ("A4", "A3") for scale in STANDARD_SCALES]
    choices += [(paper, scale) for scale in SMALL_SCALES for paper in ("A4", "A3")]
    for paper, scale in choices:
        size = _map_size_mm(paper)
        if width_m <= size[0] / 1000 * scale and height_m <= size[1] / 1000 * scale:
            half_x, half_y = size[0] / 2000 * scale, size[1] / 2000 * scale
            centre_x, centre_y = (west + east) / 2, (south + north) / 2
            return Frame(paper, scale, size, (centre_x - half_x, centre_y - half_y, centre_x + half_x, centre_y + half_y))
    raise GeometryError(f"项目范围过大，无法制图 / a project {width_m / 1000:,.0f} km across fits no map sheet (A3 at "
                        f"1:{SMALL_SCALES[-1]:,} at most); write the report without the map sheet")


def map_sheet_png(report: Report, nearby, *, number: str, lang: str = "zh", dpi: int = DPI, overview=None,
                  issuer: str = "", rules=()) -> bytes:
    """The sheet as PNG. ``nearby(geometry, margin_deg=…)`` gives the layers' features near a lon/lat geometry, as
    ``redline.layers.LayerSet.nearby`` does; ``overview`` (the region's lon/lat outline, ``LayerSet.outline``) is drawn
    as a location inset with the project marked; ``issuer`` is the drawing office (制图单位); ``rules`` the rules the
    layers are checked against (``LayerSet.rules``), whose class titles name the legend's classes."""
    text = TEXT[lang]
    crs = sheet_crs(report.footprint)
    to_sheet = Transformer.from_crs(CGCS2000, crs, always_xy=True)
    footprint = shapely.transform(report.footprint, lambda xy: np.column_stack(to_sheet.transform(xy[:, 0], xy[:, 1])))
    setbacks = sorted({finding.measures["setback_m"] for finding in report.findings
                       if finding.measures.get("setback_m") and finding.status is not Status.CLEAR})
    zones = [footprint.buffer(setback_m) for setback_m in setbacks]  # in the sheet's CRS: scale error under 0.1 %
    frame = map_frame(shapely.union_all([footprint, *zones]).bounds)
    paper_w, paper_h = PAPERS_MM[frame.paper]
    _register_font()
    figure = Figure(figsize=(paper_w / 25.4, paper_h / 25.4), dpi=dpi)
    figure.patch.set_facecolor("white")
    left_mm, bottom_mm = 16.0, 14.0
    axes = figure.add_axes((left_mm / paper_w, bottom_mm / paper_h, frame.size_mm[0] / paper_w, frame.size_mm[1] / paper_h))
    west, south, east, north = frame.bounds_m
    axes.set_xlim(west, east)
    axes.set_ylim(south, north)
    axes.set_aspect("equal")
    axes.set_facecolor("#fbfbf8")
    view = shapely.box(*frame.bounds_m)
    to_lonlat = Transformer.from_crs(crs, CGCS2000, always_xy=True)
    view_lonlat = shapely.transform(shapely.segmentize(view, (east - west) / 20),
                                    lambda xy: np.column_stack(to_lonlat.transform(xy[:, 0], xy[:, 1])))
    legend = [Line2D([], [], color=PROJECT_COLOUR, linewidth=1.2, linestyle=PROJECT_DASHES, label=text["project"])]
    regions = []
    for near in nearby(view_lonlat, margin_deg=0.0):
        spec = near.spec
        if not len(near) or not (spec.rule == REGION or shown_by_default(spec.rule)):
            continue
        drawn = gpd.GeoSeries(near.geometries, crs=CGCS2000).to_crs(crs).intersection(view)
        keep = ~drawn.is_empty.values
        drawn = drawn[keep]
        if drawn.empty:
            continue
        if spec.rule == REGION:
            regions.append((near.names[keep], drawn))
            continue
        style = dict(spec.style)
        title = spec.title_zh if lang == "zh" else spec.title_en
        rule = rule_for(fed_by(spec), rules)
        for label, colour, shown in _classes(spec, style, np.asarray(near.classes, dtype=object)[keep], rule, title, lang):
            part = drawn[shown]
            if spec.kind == Kind.LINE:
                part.plot(ax=axes, color=colour, linewidth=max(style.get("weight", 1) / 1.5, 0.8), zorder=3)
                legend.append(Line2D([], [], color=colour, linewidth=2, label=label))
            else:
                part.plot(ax=axes, facecolor=colour, alpha=max(style.get("fill_opacity", 0.2), 0.08), edgecolor="none",
                          zorder=2)
                part.boundary.plot(ax=axes, color=colour, linewidth=0.4, zorder=2)
                legend.append(Patch(facecolor=colour, alpha=0.45, edgecolor=colour, label=label))
    for names, drawn in regions:
        drawn.boundary.plot(ax=axes, color="#444444", linewidth=0.9, linestyle=(0, (6, 2, 1, 2)), zorder=4)
        clear_of_project = view.difference(footprint.buffer(0.04 * (frame.bounds_m[2] - frame.bounds_m[0])))
        for name, shape in zip(names, drawn):
            room = shape.intersection(clear_of_project)  # a district's name never lies on the project it names
            if not name or room.area < view.area * 0.01:
                continue
            point = shapely.get_coordinates(room.representative_point())[0]
            axes.text(point[0], point[1], name, fontsize=9, color="#333333", ha="center", va="center", zorder=6,
                      fontfamily=FAMILY, path_effects=[effects.withStroke(linewidth=3, foreground="white")])
        legend.append(Line2D([], [], color="#444444", linewidth=0.9, linestyle=(0, (6, 2, 1, 2)), label=text["district"]))
    findings = {finding.rule: finding for finding in report.findings}
    order = sorted(report.intrusions.items(), key=lambda item: findings[item[0]].status is Status.VIOLATION)
    for rule, pieces in order:  # violations drawn last, on top
        status = findings[rule].status
        for piece in pieces.values():
            drawn = gpd.GeoSeries([piece], crs=CGCS2000).to_crs(crs)
            colour = STATUS_COLOURS[status]  # a thick edge of its own: a thin road's intrusions still show at 1:100,000
            if piece.geom_type in ("LineString", "MultiLineString"):
                drawn.plot(ax=axes, color=colour, linewidth=3.5, zorder=6)
                continue
            drawn.plot(ax=axes, facecolor=colour, alpha=0.55, edgecolor="none",
                       hatch="///" if status is Status.VIOLATION else None, zorder=6)
            drawn.boundary.plot(ax=axes, color=colour, linewidth=2.4, zorder=6)
    for setback_m, zone in zip(setbacks, zones):
        gpd.GeoSeries([zone], crs=crs).boundary.plot(ax=axes, color="#d7191c", linewidth=1, linestyle=(0, (4, 3)), zorder=5)
        legend.append(Line2D([], [], color="#d7191c", linewidth=1, linestyle=(0, (4, 3)),
                             label=text["setback"].format(setback_m=setback_m)))
    for status in (Status.VIOLATION, Status.REVIEW):
        if any(findings[rule].status is status for rule in report.intrusions):
            label = f"{'占用' if lang == 'zh' else 'Intrusion'}: {STATUS_WORDS[lang][status.value]}"
            legend.append(Patch(facecolor=STATUS_COLOURS[status], alpha=0.55,
                                hatch="///" if status is Status.VIOLATION else None, label=label))
    # the project's outline drawn last, as 用地红线 are, dashed: a narrow road's intrusions show between the dashes
    gpd.GeoSeries([footprint], crs=crs).boundary.plot(ax=axes, color=PROJECT_COLOUR, linewidth=1.2, linestyle=PROJECT_DASHES,
                                                      zorder=7)
    _grid(axes, frame)
    _scale_bar(axes, frame, lang)
    _title_block(figure, report, frame, crs, legend, number=number, text=text, lang=lang, issuer=issuer)
    if overview is not None:
        _location(figure, report, frame, overview, text)
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # text in a script the CJK font lacks (Thai, emoji) shows as boxes, not one warning a glyph
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _map_size_mm(paper: str) -> tuple[float, float]:
    """The map frame on a landscape sheet: the paper less the tick margins and the title block on the right."""
    width, height = PAPERS_MM[paper]
    return width - 16 - 8 - 72, height - 14 - 8


@cache
def _register_font() -> None:
    """Make Noto Sans CJK SC known to matplotlib, once per process (each addfont call would add it again)."""
    for bold in (False, True):
        font_manager.fontManager.addfont(str(cjk_font(bold)[0]))


def _grid(axes, frame: Frame) -> None:
    """Ticks (and a light grid) every round number of metres, labelled in full Gauss-Krüger coordinates."""
    west, south, east, north = frame.bounds_m
    step = _nice((east - west) / 5)
    for axis, low, high in ((axes.xaxis, west, east), (axes.yaxis, south, north)):
        ticks = np.arange(np.ceil(low / step) * step, high, step)
        axis.set_ticks(ticks, labels=[f"{tick:,.0f}" for tick in ticks], fontsize=6.5)
    axes.tick_params(direction="in", length=4)
    plt_labels = axes.get_yticklabels()
    for label in plt_labels:
        label.set_rotation(90)
        label.set_verticalalignment("center")
    axes.grid(color="#999999", linewidth=0.3, linestyle=":")
    axes.set_xlabel("")
    axes.set_ylabel("")


def _scale_bar(axes, frame: Frame, lang: str) -> None:
    west, south, east, north = frame.bounds_m
    length = _nice((east - west) / 4)
    x0, y0 = west + (east - west) * 0.04, south + (north - south) * 0.04
    height = (north - south) * 0.008
    for part in range(4):
        axes.add_patch(Rectangle((x0 + part * length / 4, y0), length / 4, height, facecolor="black" if part % 2 == 0
                                 else "white", edgecolor="black", linewidth=0.6, zorder=8))
    unit, divisor = ("km", 1000) if length >= 1000 else ("m", 1)
    for fraction in (0, 0.5, 1):
        axes.text(x0 + length * fraction, y0 + height * 1.8, f"{length * fraction / divisor:g}", fontsize=7, ha="center",
                  zorder=8, path_effects=[effects.withStroke(linewidth=2.5, foreground="white")])
    axes.text(x0 + length + (east - west) * 0.01, y0, unit if lang == "en" else {"km": "千米", "m": "米"}[unit],
              fontsize=7, fontfamily=FAMILY, va="bottom", zorder=8,
              path_effects=[effects.withStroke(linewidth=2.5, foreground="white")])


def _location(figure, report: Report, frame: Frame, overview, text: dict) -> None:
    """The 区位图: the region's outline with the project marked, in the title block above the sheet's particulars."""
    paper_w, paper_h = PAPERS_MM[frame.paper]
    inset = figure.add_axes(((paper_w - 72 + 6) / paper_w, (8 + (paper_h - 16) * 0.43) / paper_h, 58 / paper_w,
                             (paper_h - 16) * 0.17 / paper_h))
    gpd.GeoSeries([overview]).plot(ax=inset, facecolor="#f2f2f2", edgecolor="#444444", linewidth=0.5)
    centre = report.footprint.centroid
    gpd.GeoSeries([report.footprint]).plot(ax=inset, facecolor="#d7191c", edgecolor="#d7191c", linewidth=1.2)
    inset.plot([centre.x], [centre.y], marker="o", markersize=7, markerfacecolor="none", markeredgecolor="#d7191c",
               markeredgewidth=1.2)
    inset.set_aspect(1 / np.cos(np.radians(centre.y)))
    inset.set_xticks([])
    inset.set_yticks([])
    inset.set_xlabel("")
    inset.set_ylabel("")
    inset.set_title(text["location"], fontsize=7, fontfamily=FAMILY, pad=2)


def _classes(spec, style: dict, classes: np.ndarray, rule, title: str, lang: str):
    """(legend label, colour, which features) for a layer on the sheet: one entry per class that has a colour of its
    own in the layer's style (``<role>_color``, as on the HTML map) and is in view, titled as its rule names it
    (永久基本农田, 核心保护区, 一级保护区, 人工岸线); the layer's other features under its title in its colour."""
    role_of = {value: role for role, value in spec.classes.items()}
    roles = np.array([role_of.get(value) for value in classes], dtype=object)
    coloured = [role for role in spec.classes if f"{role}_color" in style]
    base = style.get("color", NEUTRAL_COLOUR)
    if not coloured:
        return [(title, base, np.ones(len(classes), dtype=bool))]
    entries = []
    for role in spec.classes:
        shown = roles == role
        if shown.any():
            name = rule.role_title(role, lang) if rule else spec.classes[role]
            entries.append((f"{title} · {name}", style.get(f"{role}_color", base), shown))
    rest = ~np.isin(roles, list(spec.classes))
    if rest.any():
        entries.append((title, base, rest))
    return entries


def _title_block(figure, report: Report, frame: Frame, crs, legend, *, number: str, text: dict, lang: str,
                 issuer: str = "") -> None:
    paper_w, paper_h = PAPERS_MM[frame.paper]
    x = (paper_w - 72 - 2) / paper_w
    panel = figure.add_axes((x, 8 / paper_h, 70 / paper_w, (paper_h - 16) / paper_h))
    panel.set_axis_off()
    panel.add_patch(Rectangle((0, 0), 1, 1, transform=panel.transAxes, fill=False, edgecolor="black", linewidth=0.8))
    name = str(report.project.get("name") or report.project["file"])
    verdict = report.verdict.value
    panel.text(0.5, 0.975, text["title"], ha="center", va="top", fontsize=12, fontweight="bold", fontfamily=FAMILY)
    panel.text(0.5, 0.935, _wrap(name, 22 if lang == "zh" else 40), ha="center", va="top", fontsize=8.5, fontfamily=FAMILY)
    panel.text(0.5, 0.86, f"{text['verdict']}: {VERDICT_WORDS[lang][verdict]}", ha="center", va="top", fontsize=11,
               fontweight="bold", color=COLOURS[verdict],
               fontfamily=FAMILY)
    # north arrow: grid north, the convergence stated beside it
    panel.add_patch(Polygon([(0.85, 0.80), (0.81, 0.72), (0.85, 0.745), (0.89, 0.72)], closed=True, facecolor="black",
                            transform=panel.transAxes))
    panel.text(0.85, 0.805, text["north"], ha="center", va="bottom", fontsize=9, fontweight="bold", fontfamily=FAMILY)
    entries = legend[:14]
    panel.legend(handles=entries, loc="upper left", bbox_to_anchor=(0.03, 0.80), frameon=False, fontsize=7,
                 title=text["legend"],
                 title_fontproperties={"family": FAMILY, "size": 8.5, "weight": "bold"}, prop={"family": FAMILY, "size": 7},
                 alignment="left")
    convergence = _convergence_deg(report.footprint, crs)
    scale = f"1:{frame.scale:,}" + (f" ({text['beyond']})" if frame.scale > STANDARD_SCALES[-1] else "")
    manifest = report.manifest
    vintages = sorted({layer["vintage"] for layer in manifest.get("layers", []) if layer.get("vintage")})
    lines = [(text["number"], number), (text["scale"], f"{scale} · {frame.paper}"),
             (text["crs"], crs_words(crs.to_string(), lang)),
             (text["convergence"], f"{convergence:+.2f}°"),
             (text["source"], f"{manifest.get('name', '')}（{'、'.join(vintages)}）" if lang == "zh"
              else f"{manifest.get('name', '')} ({', '.join(vintages)})"),
             (text["issuer"], issuer or "　" * 8),
             (text["date"], beijing_date(datetime.now(timezone.utc), lang))]
    y = 0.40
    for label, value in lines:
        wrapped = "\n".join(break_lines(f"{label}: {value}", 50, _columns))
        panel.text(0.05, y, wrapped, fontsize=6.8, va="top", fontfamily=FAMILY)
        y -= 0.022 * (1 + wrapped.count("\n")) + 0.012
    disclaimer = report.manifest.get("disclaimer_zh" if lang == "zh" else "disclaimer") or report.manifest.get("disclaimer", "")
    note = "\n".join(break_lines(f"{text['print']} {disclaimer}".strip(), 60, _columns))
    panel.text(0.05, 0.02, note, fontsize=5.6, color=NEUTRAL_COLOUR, va="bottom", fontfamily=FAMILY)


def _columns(text: str) -> int:
    """Width of ``text`` in half-width columns: a Chinese character or punctuation mark takes two."""
    return sum(2 if ord(character) >= 0x2E80 else 1 for character in text)


def _convergence_deg(footprint, crs) -> float:
    """Meridian convergence (°) at the footprint's centre: the angle from grid north to true north."""
    point = footprint.centroid
    return float(Proj(crs).get_factors(point.x, point.y).meridian_convergence)


def _nice(value: float) -> float:
    """The round number (1, 2 or 5 × 10^k) at or below ``value``."""
    power = 10 ** np.floor(np.log10(value))
    return float(max(step for step in (1, 2, 5) if step * power <= value) * power)


def _wrap(text: str, width: int) -> str:
    return "\n".join(text[start:start + width] for start in range(0, len(text), width)) if len(text) > width else text
