"""Write the input fixtures of tests/data/inputs (deterministic). Run: python tests/data/make_inputs.py

good/: boundaries in every format redline reads; expected.json gives, per file, the read options and
the expected geometry as WKT in the file's own CRS, so the tests can measure it independently.
bad/: files redline must refuse; the tests name the error class and message for each.
"""

from __future__ import annotations

import codecs
import json
import shutil
import zipfile
from pathlib import Path

import ezdxf
import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from redline.io.webmaps import wgs84_to_gcj02

HERE = Path(__file__).resolve().parent / "inputs"
GOOD, BAD = HERE / "good", HERE / "bad"

OUTER = shapely.box(117.2000, 39.1000, 117.2150, 39.1100)
HOLE = shapely.box(117.2050, 39.1030, 117.2080, 39.1060)
SECOND = shapely.box(117.2200, 39.1000, 117.2250, 39.1040)
HOLED = shapely.Polygon(OUTER.exterior.coords, [HOLE.exterior.coords[::-1]])
TO_GK = Transformer.from_crs(4490, 4527, always_xy=True)
TO_GK_CM = Transformer.from_crs(4490, 4548, always_xy=True)


def gk(geometry, transformer=TO_GK):
    """Geometry in Gauss-Krüger metres, rounded to the millimetre (as a survey file would be)."""
    return shapely.transform(geometry, lambda xy: np.round(np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])), 3))


def frame(geometries, crs=4490, names=None):
    names = names or [f"地块{i + 1}" for i in range(len(geometries))]
    return gpd.GeoDataFrame({"name": names}, geometry=list(geometries), crs=crs)


def txt(parcels, *, header, encoding="utf-8", bom=False, serial=False, swap=False, close=True, count=True, village=False):
    """A land-submission TXT: parcels are Gauss-Krüger (multi)polygons (x east, y north); a multipolygon's parts
    follow each other as further 圈号, each with its holes. ``village``: the 报省部标 header with county and village."""
    lines = ["[属性描述]", *header, "[地块坐标]"]
    point = 0
    for index, parcel in enumerate(parcels, 1):
        rings = [ring for part in shapely.get_parts(parcel) for ring in (part.exterior, *part.interiors)]
        rows = []
        for ring_number, ring in enumerate(rings, 1):
            coords = list(ring.coords) if close else list(ring.coords)[:-1]
            for east, north in coords:
                point += 1
                first, second = (east, north) if swap else (north, east)
                row = f"J{point},{ring_number},{first:.3f},{second:.3f}"
                rows.append(f"{point},{row}" if serial else row)
        declared = len(rows) if count else len(rows) + 3
        where = "120111104,某某村,D8-003" if village else str(index)
        lines.append(f"{declared},{parcel.area / 10_000:.4f},{where},测试地块{index},面,J50G094056,工业用地,0601,@")
        lines += rows
    data = "\r\n".join(lines).encode(encoding)
    return (codecs.BOM_UTF16_LE if encoding == "utf-16-le" else b"\xef\xbb\xbf") + data if bom else data


def nested_kml(folders) -> str:
    """A KML document with placemarks in nested folders, as 奥维 and Google Earth export them."""
    def content(node):
        if isinstance(node, dict):
            return "".join(f"<Folder><name>{name}</name>{content(child)}</Folder>" for name, child in node.items())
        return "".join(f"<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
                       + " ".join(f"{x},{y},0" for x, y in polygon.exterior.coords)
                       + "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>" for name, polygon in node)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>奥维导出</name>{content(folders)}</Document></kml>")


CGCS_HEADER = ["格式版本号=1.01版本", "数据产生单位=天津市规划和自然资源局", "坐标系=2000国家大地坐标系", "几度分带=3",
               "投影类型=高斯克吕格", "计量单位=米", "带号=39", "精度=0.001", "转换参数=,,,,,,"]


def write_good(expected):
    def record(name, geometry, epsg, **options):
        expected[name] = {"epsg": epsg, "wkt": geometry.wkt, "options": options}

    frame([HOLED]).to_file(GOOD / "featurecollection.geojson", driver="GeoJSON")
    record("featurecollection.geojson", HOLED, 4326)
    feature = {"type": "Feature", "properties": {"name": "单个要素"}, "geometry": shapely.geometry.mapping(OUTER)}
    (GOOD / "feature.geojson").write_text(json.dumps(feature, ensure_ascii=False), encoding="utf-8")
    record("feature.geojson", OUTER, 4326)
    (GOOD / "bare_geometry.geojson").write_text(json.dumps(shapely.geometry.mapping(SECOND)), encoding="utf-8")
    record("bare_geometry.geojson", SECOND, 4326)
    path = GOOD / "two_layers.gpkg"
    path.unlink(missing_ok=True)
    frame([SECOND]).to_file(path, layer="other", driver="GPKG")
    frame([gk(HOLED)], crs=4527).to_file(path, layer="project", driver="GPKG")
    record("two_layers.gpkg", gk(HOLED), 4527, layer="project")
    frame([OUTER, SECOND]).to_parquet(GOOD / "parcels.parquet")
    record("parcels.parquet", shapely.MultiPolygon([OUTER, SECOND]), 4490)
    frame([gk(OUTER)], crs=4527, names=["天津项目"]).to_file(GOOD / "utf8.shp", encoding="UTF-8")
    record("utf8.shp", gk(OUTER), 4527)
    frame([gk(OUTER)], crs=4527, names=["天津项目"]).to_file(GOOD / "gbk.shp", encoding="GBK")
    (GOOD / "gbk.cpg").unlink(missing_ok=True)
    record("gbk.shp", gk(OUTER), 4527, encoding="GBK")
    for name, encoding in (("gbk_no_cpg", "GBK"), ("utf8_no_cpg", "UTF-8")):  # no .cpg, language-driver byte 0
        frame([gk(OUTER)], crs=4527, names=["天津项目"]).to_file(GOOD / f"{name}.shp", encoding=encoding)
        (GOOD / f"{name}.cpg").unlink(missing_ok=True)
        dbf = bytearray((GOOD / f"{name}.dbf").read_bytes())
        dbf[29] = 0
        (GOOD / f"{name}.dbf").write_bytes(bytes(dbf))
        record(f"{name}.shp", gk(OUTER), 4527, warns=[f"attributes read as {encoding} from their bytes"])
    frame([gk(OUTER)], crs=4527).to_file(GOOD / "with_points.gpkg", layer="红线", driver="GPKG")
    points = gpd.GeoDataFrame({"name": ["界址点1"]}, geometry=[shapely.Point(gk(OUTER).exterior.coords[0])], crs=4527)
    points.to_file(GOOD / "with_points.gpkg", layer="界址点", driver="GPKG")
    record("with_points.gpkg", gk(OUTER), 4527, warns=["only layer 红线 holds polygons"])
    with zipfile.ZipFile(GOOD / "zipped_shapefile.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for part in ("shp", "shx", "dbf", "prj", "cpg"):
            archive.write(GOOD / f"utf8.{part}", f"项目/utf8.{part}")
    record("zipped_shapefile.zip", gk(OUTER), 4527)
    frame([gk(SECOND)], crs=4527).to_file(GOOD / "frame.shp", encoding="UTF-8")
    with zipfile.ZipFile(GOOD / "two_shapefiles.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for stem in ("utf8", "frame"):
            for part in ("shp", "shx", "dbf", "prj", "cpg"):
                archive.write(GOOD / f"{stem}.{part}", f"{stem}.{part}")
    for part in ("shp", "shx", "dbf", "prj", "cpg"):
        (GOOD / f"frame.{part}").unlink()
    record("two_shapefiles.zip", gk(OUTER), 4527, layer="utf8")
    frame([HOLED]).to_crs(4326).to_file(GOOD / "google_earth.kml", driver="KML")
    record("google_earth.kml", HOLED, 4326)
    with zipfile.ZipFile(GOOD / "ovital.kmz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(GOOD / "google_earth.kml", "doc.kml")
    record("ovital.kmz", HOLED, 4326)
    folders = {"项目红线": {"一期": [("地块一", OUTER)], "二期": [("地块二", SECOND)]}}
    (GOOD / "nested_folders.kml").write_text(nested_kml(folders), encoding="utf-8")
    record("nested_folders.kml", shapely.MultiPolygon([OUTER, SECOND]), 4326)
    (GOOD / "wkt.csv").write_text("id,name,wkt\n1,甲," + f'"{gk(HOLED).wkt}"\n', encoding="utf-8")
    record("wkt.csv", gk(HOLED), 4527, crs="EPSG:4527")
    rows = ["id,ring,x,y"] + [f"A,{ring},{x:.3f},{y:.3f}" for ring, r in ((1, gk(HOLED).exterior), (2, gk(HOLED).interiors[0]))
                               for x, y in r.coords]
    (GOOD / "vertices.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    record("vertices.csv", gk(HOLED), 4527, crs="EPSG:4527")
    document = ezdxf.new()
    space = document.modelspace()
    space.add_line((0, 0), (10, 10), dxfattribs={"layer": "标注"})
    space.add_lwpolyline(list(gk(OUTER, TO_GK_CM).exterior.coords)[:-1], close=True, dxfattribs={"layer": "红线"})
    frame_box = shapely.box(*gk(OUTER, TO_GK_CM).buffer(300).bounds)
    space.add_lwpolyline(list(frame_box.exterior.coords)[:-1], close=True, dxfattribs={"layer": "图框"})
    space.add_lwpolyline([(0, 0), (5, 0), (5, 5)], close=False, dxfattribs={"layer": "红线"})
    document.saveas(GOOD / "cad.dxf")
    record("cad.dxf", gk(OUTER, TO_GK_CM), 4548, crs="EPSG:4548", layer="红线", warns=["1 open polyline(s) skipped"])
    survey = ["点号,X,Y"] + [f"J{n},{y:.3f},{x:.3f}" for n, (x, y) in enumerate(gk(OUTER).exterior.coords, 1)]
    (GOOD / "survey_xy.csv").write_text("\n".join(survey) + "\n", encoding="utf-8")
    record("survey_xy.csv", gk(OUTER), 4527, crs="EPSG:4527", warns=["the survey convention"])
    named = ["编号,北坐标,东坐标"] + [f"{n},{y:.3f},{x:.3f}" for n, (x, y) in enumerate(gk(OUTER).exterior.coords, 1)]
    (GOOD / "north_east.csv").write_text("\n".join(named) + "\n", encoding="gbk")
    record("north_east.csv", gk(OUTER), 4527, crs="EPSG:4527", warns=["read as GB18030"])
    lonlat = ["地块,圈号,经度,纬度"] + [f"A,{ring},{x},{y}" for ring, r in ((1, OUTER.exterior), (2, SECOND.exterior))
                                     for x, y in r.coords]
    (GOOD / "lonlat_parts.csv").write_text("\n".join(lonlat) + "\n", encoding="utf-8")
    record("lonlat_parts.csv", shapely.MultiPolygon([OUTER, SECOND]), 4490, crs="EPSG:4490", degrees="decimal")
    document = ezdxf.new()
    hatch = document.modelspace().add_hatch(dxfattribs={"layer": "用地"})
    holed = gk(HOLED, TO_GK_CM)
    hatch.paths.add_polyline_path(list(holed.exterior.coords)[:-1], is_closed=True)
    hatch.paths.add_polyline_path(list(holed.interiors[0].coords)[:-1], is_closed=True)
    document.saveas(GOOD / "hatch.dxf")
    record("hatch.dxf", holed, 4548, crs="EPSG:4548")
    both = [gk(HOLED), gk(SECOND)]
    (GOOD / "bubiao_utf8.txt").write_bytes(txt(both, header=CGCS_HEADER))
    record("bubiao_utf8.txt", shapely.MultiPolygon(both), 4527)
    (GOOD / "bubiao_gbk.txt").write_bytes(txt(both, header=CGCS_HEADER, encoding="gbk"))
    record("bubiao_gbk.txt", shapely.MultiPolygon(both), 4527, warns=["read as GB18030"])
    (GOOD / "utf16_bom.txt").write_bytes(txt(both, header=CGCS_HEADER, encoding="utf-16-le", bom=True))
    record("utf16_bom.txt", shapely.MultiPolygon(both), 4527)
    (GOOD / "utf16_no_bom.txt").write_bytes(txt(both, header=CGCS_HEADER, encoding="utf-16-le"))
    record("utf16_no_bom.txt", shapely.MultiPolygon(both), 4527, warns=["read as UTF-16-LE"])
    multipart = shapely.MultiPolygon([gk(HOLED), gk(SECOND)])  # 圈号 1 outer, 2 its hole, 3 a further part
    (GOOD / "txt_multipart.txt").write_bytes(txt([multipart], header=CGCS_HEADER))
    record("txt_multipart.txt", multipart, 4527)
    (GOOD / "baoshengbu_village.txt").write_bytes(txt([gk(HOLED)], header=CGCS_HEADER, serial=True, village=True))
    record("baoshengbu_village.txt", gk(HOLED), 4527)
    spelled = [line.replace("2000国家大地坐标系", "CGCS2000 (2000国家大地坐标系)") for line in CGCS_HEADER]
    (GOOD / "datum_spelled.txt").write_bytes(txt([gk(OUTER)], header=spelled))
    record("datum_spelled.txt", gk(OUTER), 4527, warns=["read as CGCS2000"])
    (GOOD / "baoshengbu_bom.txt").write_bytes(txt([gk(HOLED)], header=CGCS_HEADER, bom=True, serial=True))
    record("baoshengbu_bom.txt", gk(HOLED), 4527)
    in_m2 = txt([gk(OUTER)], header=CGCS_HEADER).decode().replace(f",{gk(OUTER).area / 10_000:.4f},", f",{gk(OUTER).area:.1f},")
    (GOOD / "area_in_m2.txt").write_text(in_m2, encoding="utf-8")
    record("area_in_m2.txt", gk(OUTER), 4527, warns=["the declared value looks like m²"])
    messy = ["坐标系 = 2000国家大地坐标系 ", "分带=3度带", "带号=", "计量单位=米"]
    (GOOD / "messy.txt").write_bytes(txt([gk(OUTER)], header=messy, close=False, count=False))
    record("messy.txt", gk(OUTER), 4527, warns=["带号 is empty", "not closed", "declares"])
    (GOOD / "swapped_columns.txt").write_bytes(txt([gk(OUTER)], header=CGCS_HEADER, swap=True))
    record("swapped_columns.txt", gk(OUTER), 4527, warns=["X and Y look swapped"])
    xian = ["坐标系=80西安坐标系", "几度分带=3", "带号=39"]
    to_xian_cm = Transformer.from_crs(4490, 2384, always_xy=True)
    (GOOD / "xian80_no_prefix.txt").write_bytes(txt([gk(OUTER, to_xian_cm)], header=xian))
    record("xian80_no_prefix.txt", gk(OUTER, to_xian_cm), 2384, warns=["no published transformation from Xian 1980"])
    with_z = shapely.Polygon([(x, y, 2.5) for x, y in OUTER.exterior.coords])
    frame([with_z]).to_file(GOOD / "with_z.geojson", driver="GeoJSON")
    record("with_z.geojson", OUTER, 4326)
    amap = shapely.transform(OUTER, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    frame([amap]).to_file(GOOD / "amap_gcj02.geojson", driver="GeoJSON")
    record("amap_gcj02.geojson", OUTER, 4326, crs="gcj02")


def write_bad():
    (BAD / "empty.geojson").write_bytes(b"")
    (BAD / "garbage.geojson").write_bytes(b"\x00\x01 not a map at all \xff")
    (BAD / "truncated.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geom')
    (BAD / "empty_collection.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    frame([shapely.LineString([(117.2, 39.1), (117.21, 39.11)])]).to_file(BAD / "line.geojson", driver="GeoJSON")
    frame([shapely.Point(117.2, 39.1)]).to_file(BAD / "point.geojson", driver="GeoJSON")
    bowtie = shapely.Polygon([(117.20, 39.10), (117.21, 39.11), (117.21, 39.10), (117.20, 39.11)])
    frame([bowtie], names=["蝴蝶形地块"]).to_file(BAD / "self_intersection.geojson", driver="GeoJSON")
    (BAD / "nan.csv").write_text("id,ring,x,y\nA,1,117.2,39.1\nA,1,nan,39.11\nA,1,117.21,39.11\n")
    (BAD / "not_a_number.csv").write_text("id,ring,x,y\nA,1,117.2,39.1\nA,1,117.2O,39.11\nA,1,117.21,39.11\n")
    (BAD / "two_points.csv").write_text("id,ring,x,y\nA,1,117.2,39.1\nA,1,117.21,39.11\n")
    frame([gk(OUTER)], crs=4527).to_file(BAD / "no_prj.shp")
    (BAD / "no_prj.prj").unlink()
    frame([gk(OUTER)], crs=4527).to_file(BAD / "missing_parts.shp")
    (BAD / "missing_parts.shx").unlink()
    (BAD / "missing_parts.dbf").unlink()
    with zipfile.ZipFile(BAD / "zip_slip.zip", "w") as archive:
        archive.writestr("../../evil.shp", b"x")
    with zipfile.ZipFile(BAD / "zip_bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.shp", b"\0" * (60 * 1024 * 1024))
    with zipfile.ZipFile(BAD / "too_many_members.zip", "w") as archive:
        for number in range(250):
            archive.writestr(f"part{number}.txt", b"x")
    laughs = ['<?xml version="1.0"?>', '<!DOCTYPE kml [', '<!ENTITY lol "lol">']
    laughs += [f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 1 + '">' for i in range(1, 4)]
    laughs += [']>', '<kml><Document><name>&lol3;</name></Document></kml>']
    (BAD / "billion_laughs.kml").write_text("\n".join(laughs))
    (BAD / "external_entity.kml").write_text('<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY xxe SYSTEM '
                                            '"file:///etc/passwd">]>\n<kml><Document><name>&xxe;</name></Document></kml>')
    without_datum = [line for line in CGCS_HEADER if not line.startswith("坐标系")]
    (BAD / "txt_no_datum.txt").write_bytes(txt([gk(OUTER)], header=without_datum))
    no_prefix = shapely.transform(gk(OUTER), lambda xy: xy - [39_000_000, 0])
    (BAD / "txt_no_zone.txt").write_bytes(txt([no_prefix], header=["坐标系=2000国家大地坐标系", "几度分带=3"]))
    (BAD / "txt_bad_row.txt").write_bytes(txt([gk(OUTER)], header=CGCS_HEADER) + "\r\nJ9,1,四百万,39500000".encode())
    (BAD / "txt_two_points.txt").write_bytes(
        "\r\n".join(["[属性描述]", *CGCS_HEADER, "[地块坐标]", "2,0.1,1,地块,面,,,,@",
                     "J1,1,4331234.000,39517890.000", "J2,1,4331334.000,39517890.000"]).encode())
    (BAD / "txt_line_kind.txt").write_bytes(
        txt([gk(OUTER)], header=CGCS_HEADER).replace("面".encode(), "线".encode()))
    frame([shapely.box(104.0, 30.6, 104.01, 30.61)]).to_file(BAD / "outside_region.geojson", driver="GeoJSON")
    crossing = shapely.Polygon(gk(OUTER).exterior.coords, [gk(shapely.box(117.2100, 39.1050, 117.2200, 39.1080)).exterior.coords])
    (BAD / "txt_crossing_rings.txt").write_bytes(txt([crossing], header=CGCS_HEADER))
    wgs = [line.replace("2000国家大地坐标系", "WGS84坐标系") for line in CGCS_HEADER]
    (BAD / "txt_wgs84.txt").write_bytes(txt([gk(OUTER)], header=wgs))
    no_prefix = ["x,y"] + [f"{x - 39_000_000:.3f},{y:.3f}" for x, y in gk(OUTER).exterior.coords]
    (BAD / "no_prefix_labelled_prefixed.csv").write_text("\n".join(no_prefix) + "\n", encoding="utf-8")
    frame([shapely.box(39.10, 117.20, 39.11, 117.21)]).to_file(BAD / "swapped_lat_lon.geojson", driver="GeoJSON")
    document = ezdxf.new()
    document.modelspace().add_lwpolyline([(0, 0), (10, 0), (10, 10)], close=False, dxfattribs={"layer": "红线"})
    document.saveas(BAD / "open_polyline.dxf")
    frame([OUTER]).to_file(BAD / "corrupt.gpkg", driver="GPKG")
    data = (BAD / "corrupt.gpkg").read_bytes()
    (BAD / "corrupt.gpkg").write_bytes(data[: len(data) // 3])
    frame([gk(OUTER)], crs=4527).set_crs(4490, allow_override=True).to_file(BAD / "metres_labelled_degrees.gpkg")


def main():
    for folder in (GOOD, BAD):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    expected = {}
    write_good(expected)
    write_bad()
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
