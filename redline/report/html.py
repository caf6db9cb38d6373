"""The reviewer's HTML map (folium / Leaflet): project, intrusions per rule, nearby layers, legend, verdict panel.

The page works from a file with no network: Leaflet, its plugins and redline's own script are inlined
(``cdn=True`` links them from unpkg instead, for a smaller file), and every layer is vector data, so
the map draws without tiles ("no base map" is the default base layer). Every string that came from an
input file or a layer is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
import json
import os
from urllib.parse import urlsplit

import folium
import numpy as np
import shapely
import shapely.ops
import xyzservices
from branca.element import Element, MacroElement
from jinja2 import Template

from redline.crs import SQUARE_METRES_PER_MU, EqualArea
from redline.model import Kind, Report, Status
from redline.report.assets import head_html
from redline.report.style import COLOURS, NEUTRAL_COLOUR, PROJECT_COLOUR, STATUS_WORDS, VERDICT_WORDS
from redline.rules import REGION, fed_by, rule_for, shown_by_default

STATUS_COLOURS = {status: COLOURS[status.value] for status in Status}
OPENSTREETMAP = xyzservices.providers.OpenStreetMap.Mapnik
"""The OpenStreetMap base layer's tiles (looked up once: folium's look-up by name costs more than the rest of a map)."""
VERDICT_COLOURS = {verdict: COLOURS[verdict] for verdict in ("violation", "review", "pass")}
DISPLAY_TOLERANCE_DEG = 1e-6
"""Vertices closer than this (≈ 0.1 m) to a straight line are dropped for display only; measures are unaffected."""
TEXT = {
    "en": {"project": "Project boundary", "verdict": {"pass": "PASS", "review": "REVIEW", "violation": "VIOLATION"},
           "status": STATUS_WORDS["en"],
           "intrusion": "Intrusion", "area": "Area", "none": "No base map", "legend": "Legend", "hits": "Features hit",
           "layers": "Layers", "input": "Input file", "share": "share of project", "verdict_label": "Verdict",
           "warnings": "Corrections made reading the file", "nearest": "Nearest feature (absent constraints)",
           "id": "Application", "failed": "Could not be checked", "setback": "Coastal setback {setback_m:g} m",
           "network": "This base map needs a network connection (底图需要网络连接); the layers work offline."},
    "zh": {"project": "项目红线", "verdict": VERDICT_WORDS["zh"],
           "status": STATUS_WORDS["zh"],
           "intrusion": "占用", "area": "面积", "none": "无底图", "legend": "图例", "hits": "涉及要素",
           "layers": "图层", "input": "输入文件", "share": "占项目比例", "verdict_label": "结论",
           "warnings": "读取文件时的更正", "nearest": "最近要素（未涉及的管控）",
           "id": "编号", "failed": "无法检查", "setback": "岸线退让范围 {setback_m:g} 米",
           "network": "该底图需要网络连接，离线时无法显示 / this base map needs a network connection；图层可离线查看。"},
}


def map_html(report: Report, nearby, *, overview=None, lang: str = "en", cdn: bool = False,
             linked: str | None = None, rules=()) -> str:
    """A standalone HTML page.

    ``nearby`` is the layers' features near the project (``LayerSet.nearby``); ``overview`` a lon/lat
    geometry (e.g. the region's outline) for the minimap; ``rules`` the rules the layers are checked against
    (``LayerSet.rules``: a declared constraint's class titles come from its rule). ``linked``: the relative folder of
    the asset files (``redline.report.assets.write_assets``) to link instead of inlining them.
    """
    text = TEXT[lang]
    west, south, east, north = report.footprint.bounds
    fmap = _base_map(text, lang=lang, cdn=cdn, linked=linked)
    root = fmap.get_root()
    legend = []
    for near in nearby:
        if not len(near):
            continue
        spec = near.spec
        title = _title(spec.title_zh if lang == "zh" else spec.title_en)
        style = dict(spec.style)
        rule = rule_for(fed_by(spec), rules)
        group = _Group(name=title, show=shown_by_default(spec.rule))
        role_of = {value: role for role, value in spec.classes.items()}
        if spec.rule == REGION:  # district names as permanent labels: the reviewer's bearings with no base map
            centre = report.footprint.centroid  # a label where the map opens: the district's point nearest the project
            labels: dict[tuple, list[str]] = {}
            for geometry, name in zip(near.geometries, near.names):
                if name and geometry.area > 0:
                    point = shapely.ops.nearest_points(geometry, centre)[0]
                    labels.setdefault((round(point.x, 5), round(point.y, 5)), []).append(name)
            if labels:  # the city and its district at one point: one label for both
                group.add_child(_Shapes(shapely.points(list(labels)),
                                        [_look(label=html.escape(" · ".join(named))) for named in labels.values()]))
        looks = []
        for name, klass in zip(near.names, near.classes):
            own = style.get(f"{role_of.get(klass)}_color")  # a class drawn in its own colour (e.g. artificial coast)
            colour = own or style.get("color", NEUTRAL_COLOUR)
            weight = style.get("weight", 1) if not own else max(style.get("weight", 1) - 2, 1)
            looks.append(_look(style=_style(colour, style.get("fill_opacity", 0.2), weight),
                               tooltip=html.escape(" · ".join(v for v in (name, klass) if v))))
        group.add_child(_Shapes(near.geometries, looks))
        group.add_to(fmap)
        legend.append((title, style.get("color", NEUTRAL_COLOUR), spec.kind))
        for role in spec.classes:
            if f"{role}_color" in style:
                label = rule.role_title(role, lang) if rule else role
                legend.append((html.escape(label), style[f"{role}_color"], spec.kind))
    # the project first, reviews next, violations last: what is drawn later lies on top and takes the clicks
    project = _Group(name=text["project"])
    project.add_child(_Shapes([report.footprint], [_look(style=_style(PROJECT_COLOUR, 0.05, 3), tooltip=html.escape(
        str(report.project.get("name") or report.project["file"])))]))
    project.add_to(fmap)
    findings = {finding.rule: finding for finding in report.findings}
    for rule, pieces in sorted(report.intrusions.items(), key=lambda item: findings[item[0]].status is Status.VIOLATION):
        finding = findings[rule]
        title = _title(finding.title_zh if lang == "zh" else finding.title_en)
        group = _Group(name=f"{text['intrusion']}: {title}")
        looks = [_look(style=_style(STATUS_COLOURS[finding.status], 0.6, 2),
                       popup=_popup(finding, role, text, lang, rule_for(finding.rule, rules))) for role in pieces]
        group.add_child(_Shapes(list(pieces.values()), looks))
        group.add_to(fmap)
    setbacks = [f for f in report.findings if f.measures.get("setback_m") and f.status is not Status.CLEAR]
    for finding in setbacks:  # the coastal setback zone, drawn for the eye (its figures come from the engine)
        zone = EqualArea(report.footprint.bounds).buffer(report.footprint, finding.measures["setback_m"])
        label = text["setback"].format(setback_m=finding.measures["setback_m"])
        group = _Group(name=label)
        group.add_child(_Shapes([zone.boundary], [_look(style=_dashed(STATUS_COLOURS[finding.status]),
                                                        tooltip=html.escape(label))]))
        group.add_to(fmap)
        legend.append((label, STATUS_COLOURS[finding.status], Kind.LINE))
    if report.nearest_lines:
        group = _Group(name=text["nearest"])
        looks = []
        for rule in report.nearest_lines:
            found = findings[rule]
            title = found.title_zh if lang == "zh" else found.title_en
            label = f"{title}: {found.nearest['name']} {found.nearest['distance_m']:,.0f} m"
            looks.append(_look(style=_dashed(NEUTRAL_COLOUR), tooltip=html.escape(label)))
        group.add_child(_Shapes(list(report.nearest_lines.values()), looks))
        group.add_to(fmap)
        legend.append((text["nearest"], NEUTRAL_COLOUR, Kind.LINE))
    legend += [(text["project"], PROJECT_COLOUR, Kind.LINE), (f"{text['intrusion']}: {text['status']['violation']}",
                                                      STATUS_COLOURS[Status.VIOLATION], Kind.POLYGON),
               (f"{text['intrusion']}: {text['status']['review']}", STATUS_COLOURS[Status.REVIEW], Kind.POLYGON)]
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]], padding=(40, 40))
    fmap.add_child(_Controls(overview))
    root.html.add_child(_Raw(_panel(report, text, lang) + _legend(legend, text) + _network_notice(text)))
    return root.render()


def _base_map(text, *, lang: str, cdn: bool, linked: str | None) -> folium.Map:
    """A folium map with redline's assets instead of folium's CDN links, and the base layers: none (default),
    OpenStreetMap, and Tianditu when TIANDITU_KEY is set."""
    fmap = folium.Map(tiles=None, control_scale=False, zoom_control=True)
    fmap.default_js, fmap.default_css = [], []
    fmap.get_root().header.add_child(_Raw(head_html(lang=lang, cdn=cdn, linked=linked)), name="redline_assets")
    _Group(name=text["none"], overlay=False).add_to(fmap)
    folium.TileLayer(OPENSTREETMAP, name="OpenStreetMap", overlay=False, show=False).add_to(fmap)
    if os.environ.get("TIANDITU_KEY"):
        folium.TileLayer(
            tiles="https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
                  "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
                  f"&tk={html.escape(os.environ['TIANDITU_KEY'])}",
            subdomains="01234567", attr="天地图 Tianditu", name="天地图 Tianditu", overlay=False, show=False,
        ).add_to(fmap)
    return fmap


class _Script(MacroElement):
    """An element that adds JavaScript to the page as it is. branca compiles the script of every MacroElement as a
    Jinja template once more when the page is rendered: text from an input file holding ``{{ … }}`` would run
    there, in this process; the script of a ``_Script`` is never parsed (and the page renders faster)."""

    def script(self) -> str:
        raise NotImplementedError

    def render(self, **kwargs):
        self.get_root().script.add_child(_Raw(self.script()), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Group(folium.FeatureGroup):
    """A feature group the layer control lists, its script written as it is (as a ``_Script``'s)."""

    render = _Script.render

    def script(self) -> str:
        name = self.get_name()
        return f"var {name} = L.featureGroup();" + (f"{name}.addTo({self._parent.get_name()});" if self.show else "")


class _Controls(_Script):
    """Scale, measure, full screen, minimap and mouse position, added once the map exists (see map.js); ``overview``:
    the minimap's lon/lat outline or None."""

    def __init__(self, overview):
        super().__init__()
        self.overview = "null" if overview is None else _display([overview])[0]

    def script(self) -> str:
        return f"redlineControls({self._parent.get_name()}, {{overview: {self.overview}}});"


class _Shapes(_Script):
    """Shapes of a feature group, each with its look (``_look``), drawn by ``redlineShapes`` of map.js from a GeoJSON
    FeatureCollection written as JSON that is safe inside a <script> element."""

    def __init__(self, geometries, looks: list[dict]):
        super().__init__()
        features = ",".join(f'{{"type":"Feature","geometry":{geometry},"properties":{_script_json(look)}}}'
                            for geometry, look in zip(_display(geometries), looks, strict=True))
        self.data = f'{{"type":"FeatureCollection","features":[{features}]}}'

    def script(self) -> str:
        return f"redlineShapes({self._parent.get_name()}, {self.data});"


def _look(*, style=None, tooltip=None, popup=None, label=None) -> dict:
    """A shape's Leaflet path style and (already escaped) HTML tooltip, popup or permanent label."""
    looks = {"style": style, "tooltip": tooltip, "popup": popup, "label": label}
    return {k: v for k, v in looks.items() if v}


def _script_json(value) -> str:
    """``value`` as JSON that is also safe inside a <script> element."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _title(text: str) -> str:
    """A layer's title for folium, HTML-escaped and with its braces as entities: folium compiles the script that
    holds it as a Jinja template (see ``_Script``), and a manifest's title is text from outside."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


class _Raw(Element):
    """Text inserted as it is: never parsed as a Jinja template (input text may hold '{{'); the template is the
    class's, compiled once."""

    _template = Template("{{ this.raw }}")

    def __init__(self, text: str):
        super().__init__()
        self.raw = text


def _display(geometries) -> np.ndarray:
    """Each geometry as GeoJSON text for display: collinear vertices dropped, coordinates rounded to 1e-7° (≈ 1 cm).

    Vertices are dropped by Douglas-Peucker (ten times faster than the topology-preserving simplification); a
    shape it would drop whole (narrower than the tolerance) keeps its vertices: a sliver is shown, never lost."""
    geometries = np.asarray(geometries, dtype=object)
    simple = shapely.simplify(geometries, DISPLAY_TOLERANCE_DEG, preserve_topology=False)
    lost = shapely.is_empty(simple) & ~shapely.is_empty(geometries)
    simple[lost] = geometries[lost]
    return shapely.to_geojson(shapely.transform(simple, lambda xy: np.round(xy, 7)))


def _dashed(colour) -> dict:
    return {"color": colour, "weight": 2, "dashArray": "6 4"}


def _style(colour, fill_opacity, weight) -> dict:
    return {"color": colour, "fillColor": colour, "fillOpacity": fill_opacity, "weight": weight}


def _popup(finding, role, text, lang, rule) -> str:
    title = finding.title_zh if lang == "zh" else finding.title_en
    measures = finding.measures
    prefix = f"{role}_" if f"{role}_area_m2" in measures else ""
    rows = []
    if f"{prefix}area_m2" in measures:
        area_m2 = measures[prefix + "area_m2"]
        rows += [("m²", f"{area_m2:,.1f}"), ("ha", f"{area_m2 / 10_000:,.4f}"), ("亩", f"{area_m2 / SQUARE_METRES_PER_MU:,.2f}")]
    if f"{prefix}share" in measures:
        rows.append((text["share"], f"{measures[prefix + 'share']:.2%}"))
    for name in rule.popup_measures if rule else ():
        if name in measures:
            rows.append((name, f"{measures[name]:,.1f} m"))
    hits = [hit for hit in finding.features if not role or hit.role in (None, role)]  # the features of this piece's class
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    items = "".join(f"<li>{html.escape(hit.name)}{' · ' + html.escape(hit.feature_class) if hit.feature_class else ''}"
                    f"{_amount(hit)}</li>" for hit in hits[:20])
    label = f" · {html.escape(rule.role_title(role, lang) if rule else role)}" if role else ""
    return f"<b>{html.escape(title)}</b>{label}<table>{table}</table><div>{text['hits']}:</div><ul>{items}</ul>"


def _amount(hit) -> str:
    if hit.area_m2 is not None:
        return f": {hit.area_m2:,.1f} m²"
    return f": {hit.length_m:,.1f} m" if hit.length_m is not None else ""


def _panel(report, text, lang) -> str:
    verdict = report.verdict.value
    rows = []
    for finding in report.findings:
        title = finding.title_zh if lang == "zh" else finding.title_en
        reason = finding.reason_zh if lang == "zh" else finding.reason_en
        exemption = f"<br><i>{html.escape(finding.exemption)}</i>" if finding.exemption else ""
        rows.append(f"<tr data-rule='{html.escape(finding.rule)}' data-status='{finding.status.value}'>"
                    f"<td>{html.escape(title)}</td><td style='color:{STATUS_COLOURS[finding.status]}'>"
                    f"{text['status'][finding.status.value]}</td><td>{html.escape(reason)}{exemption}</td></tr>")
    layers = "".join(f"<li>{html.escape(layer['id'])}: {html.escape(layer['vintage'])} · "
                     f"sha256 {html.escape(layer['sha256'][:12])}</li>" for layer in report.manifest["layers"])
    name = html.escape(str(report.project.get("name") or report.project["file"]))
    notes = "".join(f"<li data-code='{html.escape(note['code'], quote=True)}'>"
                    f"{html.escape(note['where']) + ': ' if note.get('where') else ''}"
                    f"{html.escape(note['zh'] if lang == 'zh' else note['en'])}</li>"
                    for note in [*report.project.get("warnings", []), *report.project.get("notes", [])])
    corrections = f"<div id='redline-warnings'><b>{text['warnings']}</b><ul>{notes}</ul></div>" if notes else ""
    return f"""
<div id="redline-summary" style="position:fixed;top:10px;left:60px;z-index:1000;max-width:480px;max-height:70%;
 overflow:auto;background:white;padding:8px 12px;border:1px solid #999;font:12px sans-serif">
 <div id="redline-verdict" data-verdict="{verdict}" style="font-size:16px;font-weight:bold;color:{VERDICT_COLOURS[verdict]}">
  {text['verdict'][verdict]}</div>
 <div id="redline-project">{name} · {text['area']} {report.project['area_m2']:,.1f} m²
  = {report.project['area_m2'] / 10_000:,.4f} ha</div>
 <table id="redline-findings">{''.join(rows)}</table>{corrections}
 <details><summary>{text['layers']}: {html.escape(report.manifest.get('name', ''))}</summary><ul>{layers}</ul>
 <div>{text['input']} sha256 {html.escape(report.project['sha256'][:16])} · redline
 {html.escape(report.redline_version)} · {html.escape(report.created)}</div>
 <div>{html.escape(report.manifest.get('disclaimer', ''))}</div></details>
</div>"""


def _network_notice(text) -> str:
    """Shown by map.js when a tiled base map is chosen offline or its tiles fail."""
    return f"<div id='redline-network'>{text['network']}</div>"


def _legend(entries, text) -> str:
    items = "".join(
        f"<div><span style='display:inline-block;width:14px;height:{3 if kind == Kind.LINE else 10}px;"
        f"background:{html.escape(colour)};margin-right:6px'></span>{title}</div>" for title, colour, kind in entries)
    return (f"<div id='redline-legend' style='position:fixed;bottom:190px;right:10px;z-index:1000;background:white;"
            f"padding:6px 10px;border:1px solid #999;font:11px sans-serif'><b>{text['legend']}</b>{items}</div>")


def safe_href(link: str) -> str:
    """``link`` as an http(s) URL or a relative path, never another scheme: a file named ``javascript:x.html`` is
    linked as ``./javascript:x.html``."""
    scheme = urlsplit(link).scheme.lower()
    if scheme in ("http", "https"):
        return link
    return link if not scheme and not link.startswith("//") else "./" + link.lstrip("/")


def index_html(entries, *, overview=None, lang: str = "en", cdn: bool = False, failed=(), linked: str | None = None) -> str:
    """An overview page of many checks: a map of their footprints coloured by verdict and a sortable table.

    ``entries`` are (report dict as in ``Report.to_dict``, lon/lat footprint or None, link to its map or None,
    application id); ``failed`` are (application id, why) of the applications that could not be checked.
    """
    text = TEXT[lang]
    fmap = _base_map(text, lang=lang, cdn=cdn, linked=linked)
    root = fmap.get_root()
    if overview is not None:
        outline = _Group(control=False)
        outline.add_child(_Shapes([overview], [_look(style=_style(NEUTRAL_COLOUR, 0.02, 1))]))
        outline.add_to(fmap)
    groups = {verdict: _Group(name=text["verdict"][verdict]) for verdict in VERDICT_COLOURS}
    rows, bounds, shapes = [], [], {verdict: ([], []) for verdict in VERDICT_COLOURS}
    rules = [finding["rule"] for finding in entries[0][0]["findings"]] if entries else []
    for report, footprint, link, identifier in entries:
        verdict = report["verdict"]
        name = html.escape(str(report["project"].get("name") or report["project"]["file"]))
        anchor = f"<a href='{html.escape(safe_href(link), quote=True)}'>{name}</a>" if link else name
        if footprint is not None:
            shapes[verdict][0].append(footprint)
            shapes[verdict][1].append(_look(style=_style(VERDICT_COLOURS[verdict], 0.5, 2),
                                            popup=f"{anchor}<br>{text['verdict'][verdict]}"))
            bounds.append(footprint.bounds)
        statuses = {finding["rule"]: finding["status"] for finding in report["findings"]}
        cells = "".join(f"<td style='color:{STATUS_COLOURS[Status(statuses[rule])]}'>"
                        f"{text['status'][statuses[rule]]}</td>" for rule in rules)
        area = report["project"]["area_m2"]
        rank = list(VERDICT_COLOURS).index(verdict)
        rows.append(f"<tr data-verdict='{verdict}'><td>{html.escape(str(identifier))}</td><td>{anchor}</td>"
                    f"<td data-value='{rank}' style='color:{VERDICT_COLOURS[verdict]}'>{text['verdict'][verdict]}</td>"
                    f"<td data-value='{area:.3f}'>{area / 10_000:,.4f}</td>{cells}</tr>")
    for verdict, group in groups.items():
        group.add_child(_Shapes(*shapes[verdict]))
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    if bounds:
        west, south, east, north = (min(b[0] for b in bounds), min(b[1] for b in bounds),
                                    max(b[2] for b in bounds), max(b[3] for b in bounds))
        fmap.fit_bounds([[south, west], [north, east]], padding=(20, 20))
    fmap.add_child(_Controls(overview))
    titles = {f["rule"]: f["title_zh" if lang == "zh" else "title_en"] for f in entries[0][0]["findings"]} if entries else {}
    head = "".join(f"<th>{html.escape(titles[rule])}</th>" for rule in rules)
    counts = {verdict: sum(1 for report, *_ in entries if report["verdict"] == verdict) for verdict in VERDICT_COLOURS}
    summary = " · ".join(f"<span style='color:{VERDICT_COLOURS[v]}'>{text['verdict'][v]} {n}</span>"
                         for v, n in counts.items())
    failures_count = f" · <span style='color:#7b7b7b'>{text['failed']} {len(failed)}</span>" if failed else ""
    failures = "" if not failed else (
        f"<div id='redline-failed'><b>{text['failed']}</b><ul>" + "".join(
            f"<li><b>{html.escape(str(identifier))}</b>: {html.escape(str(why))}</li>" for identifier, why in failed)
        + "</ul></div>")
    table = (f"<div id='redline-index' style='position:fixed;top:10px;left:60px;z-index:1000;max-width:60%;max-height:60%;"
             f"overflow:auto;background:white;padding:8px 12px;border:1px solid #999;font:12px sans-serif'>"
             f"<div id='redline-counts'>{summary}{failures_count}</div><table id='redline-table'><thead><tr>"
             f"<th>{text['id']}</th><th>{text['project']}</th><th>{text['verdict_label']}</th><th>ha</th>{head}</tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>{failures}</div>")
    root.html.add_child(_Raw(table))
    root.script.add_child(_Raw("redlineSortable(document.getElementById('redline-table'));"))
    return root.render()
