"""The reviewer's HTML map (folium / Leaflet): project, intrusions per rule, nearby layers, verdict panel.

Every string that came from an input file or a layer is HTML-escaped before it reaches the page.
"""

from __future__ import annotations

import html
import json

import folium
import shapely

from redline.model import CheckResult, Status

STATUS_COLOURS = {Status.VIOLATION: "#d7191c", Status.REVIEW: "#fd8d3c", Status.CLEAR: "#1a9641",
                  Status.NOT_CHECKED: "#7b7b7b"}
VERDICT_COLOURS = {"violation": "#d7191c", "review": "#fd8d3c", "pass": "#1a9641"}
TEXT = {
    "en": {"project": "Project boundary", "verdict": {"pass": "PASS", "review": "REVIEW", "violation": "VIOLATION"},
           "status": {"clear": "clear", "review": "review", "violation": "violation", "not_checked": "not checked"},
           "intrusion": "Intrusion", "area": "Area"},
    "zh": {"project": "项目红线", "verdict": {"pass": "合规", "review": "需审查", "violation": "违规"},
           "status": {"clear": "无冲突", "review": "需审查", "violation": "违规", "not_checked": "未检查"},
           "intrusion": "占用", "area": "面积"},
}


def map_html(result: CheckResult, nearby, *, lang: str = "en") -> str:
    """A standalone HTML page: ``nearby`` is a list of (layer spec, GeoDataFrame) from ``LayerSet.nearby``."""
    text = TEXT[lang]
    report = result.report
    west, south, east, north = result.footprint.bounds
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=False)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap").add_to(fmap)
    for spec, frame in nearby:
        if frame.empty:
            continue
        title = html.escape(spec.title_zh if lang == "zh" else spec.title_en)
        style = dict(spec.style)
        group = folium.FeatureGroup(name=title, show=spec.rule not in ("region", "zoning", "informational"))
        for geometry, name, klass in zip(frame.geometry, _column(frame, spec.name_field), _column(frame, spec.class_field)):
            colour = style.get("artificial_color") if klass == "artificial" and "artificial_color" in style \
                else style.get("color", "#555555")
            folium.GeoJson(
                shapely.geometry.mapping(geometry),
                style_function=_style(colour, style.get("fill_opacity", 0.2), style.get("weight", 1)),
                tooltip=html.escape(" · ".join(str(v) for v in (name, klass) if v)),
            ).add_to(group)
        group.add_to(fmap)
    findings = {finding.rule: finding for finding in report.findings}
    for rule, pieces in result.intrusions.items():
        finding = findings[rule]
        title = html.escape(finding.title_zh if lang == "zh" else finding.title_en)
        group = folium.FeatureGroup(name=f"{text['intrusion']}: {title}")
        for role, geometry in pieces.items():
            popup = _popup(finding, role, lang)
            folium.GeoJson(shapely.geometry.mapping(geometry),
                           style_function=_style(STATUS_COLOURS[finding.status], 0.6, 2),
                           popup=folium.Popup(popup, max_width=360)).add_to(group)
        group.add_to(fmap)
    project = folium.FeatureGroup(name=text["project"])
    folium.GeoJson(shapely.geometry.mapping(result.footprint), style_function=_style("#2c7bb6", 0.05, 3),
                   tooltip=html.escape(str(report.project.get("name") or report.project["file"]))).add_to(project)
    project.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    fmap.get_root().html.add_child(folium.Element(_panel(report, lang)))
    return fmap.get_root().render()


def _column(frame, name):
    return frame[name].astype(str).tolist() if name and name in frame.columns else [None] * len(frame)


def _style(colour, fill_opacity, weight):
    return lambda _feature: {"color": colour, "fillColor": colour, "fillOpacity": fill_opacity, "weight": weight}


def _popup(finding, role, lang) -> str:
    title = finding.title_zh if lang == "zh" else finding.title_en
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:,.4f}</td></tr>" for k, v in finding.measures.items())
    hits = "".join(f"<li>{html.escape(hit.name)}{' · ' + html.escape(hit.feature_class) if hit.feature_class else ''}</li>"
                   for hit in finding.features[:20])
    return (f"<b>{html.escape(title)}</b> {html.escape(role)}<table>{rows}</table>"
            f"<ul>{hits}</ul>")


def _panel(report, lang) -> str:
    text = TEXT[lang]
    verdict = report.verdict.value
    rows = []
    for finding in report.findings:
        title = finding.title_zh if lang == "zh" else finding.title_en
        reason = finding.reason_zh if lang == "zh" else finding.reason_en
        exemption = f"<br><i>{html.escape(finding.exemption)}</i>" if finding.exemption else ""
        rows.append(f"<tr><td>{html.escape(title)}</td><td style='color:{STATUS_COLOURS[finding.status]}'>"
                    f"{text['status'][finding.status.value]}</td><td>{html.escape(reason)}{exemption}</td></tr>")
    layers = "".join(f"<li>{html.escape(layer['id'])}: {html.escape(layer['vintage'])} · "
                     f"{html.escape(layer['sha256'][:12])}</li>" for layer in report.manifest["layers"])
    name = html.escape(str(report.project.get("name") or report.project["file"]))
    return f"""
<div id="redline-summary" style="position:fixed;top:10px;left:50px;z-index:1000;max-width:460px;max-height:90%;
 overflow:auto;background:white;padding:8px 12px;border:1px solid #999;font:12px sans-serif">
 <div style="font-size:16px;font-weight:bold;color:{VERDICT_COLOURS[verdict]}" id="redline-verdict">
  {text['verdict'][verdict]}</div>
 <div>{name} · {text['area']} {report.project['area_m2'] / 10_000:,.4f} ha</div>
 <table>{''.join(rows)}</table>
 <details><summary>{html.escape(report.manifest.get('name', ''))}</summary><ul>{layers}</ul>
 <div>input sha256 {html.escape(report.project['sha256'][:16])} · redline {html.escape(report.redline_version)}
 · {html.escape(report.created)}</div><div>{html.escape(report.manifest.get('disclaimer', ''))}</div></details>
</div>
<script type="application/json" id="redline-report">{_json_for_script(report)}</script>
"""


def _json_for_script(report) -> str:
    """The report as JSON safe inside a <script> element (no '</' or '<!--' can end it)."""
    return json.dumps(report.to_dict(), ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
