"""Conventions of real planners' files that gave silent wrong answers: 奥维 OvCoordType, web-map lon/lat, packed
ddd.mmss and DMS text, old datums, repairs that redraw a parcel, parcels touching at a corner.

Each file is built here from the convention's description; areas and positions are compared with independent
computations (pyproj, the published GCJ-02 formula run forwards, closed-form areas).
"""

import warnings

import numpy as np
import pytest
import shapely

from redline.errors import CRSError, InputError
from redline.io import read_project
from redline.io.webmaps import wgs84_to_gcj02

OUTER = shapely.box(117.2000, 39.1000, 117.2150, 39.1100)
SECOND = shapely.box(117.2200, 39.1000, 117.2250, 39.1040)
METRES_PER_DEGREE = 111_320


def to_gcj02(geometry):
    return shapely.transform(geometry, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))


def ovital(placemarks, *, document_type=None) -> str:
    """An 奥维 .ovkml: placemarks of (name, polygon, OvCoordType or None) in a folder, the type optionally on the folder."""
    def placemark(name, polygon, kind):
        declared = f"<OvCoordType>{kind}</OvCoordType>" if kind else ""
        coordinates = " ".join(f"{x},{y},0" for x, y in polygon.exterior.coords)
        return (f"<Placemark><name>{name}</name><OvAttr><OvIcon>4</OvIcon></OvAttr>{declared}<Polygon><outerBoundaryIs>"
                f"<LinearRing><coordinates>{coordinates}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")
    folder_type = f"<OvCoordType>{document_type}</OvCoordType>" if document_type else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder>'
            f"<name>项目</name>{folder_type}{''.join(placemark(*p) for p in placemarks)}</Folder></Document></kml>")


def offset_m(project, truth) -> float:
    return shapely.hausdorff_distance(project.geometry, truth) * METRES_PER_DEGREE


@pytest.mark.parametrize("suffix", [".ovkml", ".kml"])
def test_an_ovital_gcj02_file_is_converted_under_any_name(tmp_path, suffix):
    path = tmp_path / f"奥维{suffix}"
    path.write_text(ovital([("地块", to_gcj02(OUTER), "GCJ02")]), encoding="utf-8")
    assert shapely.hausdorff_distance(to_gcj02(OUTER), OUTER) * METRES_PER_DEGREE > 300  # read as WGS84: off by this
    with pytest.warns(Warning, match="OvCoordType GCJ02 .* converted to WGS84"):
        project = read_project(path)
    assert offset_m(project, OUTER) < 0.001
    assert project.describe()["crs"].startswith("GCJ-02 → EPSG:4326")
    assert [w["code"] for w in project.warnings] == ["ov_coord_type"]


def test_an_ovkmz_and_a_type_declared_on_the_folder(tmp_path):
    import zipfile
    path = tmp_path / "导出.ovkmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("doc.kml", ovital([("一", to_gcj02(OUTER), None), ("二", to_gcj02(SECOND), None)],
                                           document_type="GCJ-02"))
    with pytest.warns(Warning, match="2 placemark"):
        project = read_project(path)
    assert offset_m(project, shapely.union(OUTER, SECOND)) < 0.001


def test_wgs84_and_cgcs2000_declarations_are_read_as_they_are(tmp_path):
    path = tmp_path / "wgs.ovkml"
    path.write_text(ovital([("地块", OUTER, "WGS84"), ("二", SECOND, "CGCS2000")]), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        project = read_project(path)
    assert offset_m(project, shapely.union(OUTER, SECOND)) < 0.001
    assert project.describe()["crs"] == "EPSG:4326 (OvCoordType CGCS2000, WGS84)"


def test_a_declaration_the_caller_contradicts_is_refused(tmp_path):
    path = tmp_path / "矛盾.kml"
    path.write_text(ovital([("地块", to_gcj02(OUTER), "GCJ02")]), encoding="utf-8")
    with pytest.raises(CRSError, match="declares OvCoordType GCJ02 but the CRS EPSG:4490 was given"):
        read_project(path, crs="EPSG:4490")
    with pytest.warns(Warning, match="converted"):  # the same statement twice is no contradiction: converted once
        assert offset_m(read_project(path, crs="gcj02"), OUTER) < 0.001


def test_an_unknown_declaration_is_refused(tmp_path):
    path = tmp_path / "未知.ovkml"
    path.write_text(ovital([("地块", OUTER, "Mars")]), encoding="utf-8")
    with pytest.raises(CRSError, match="unknown OvCoordType 'Mars'; known: WGS84, GCJ02, BD09, CGCS2000"):
        read_project(path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_dtd_is_refused_after_decoding(tmp_path, encoding):
    """The raw-bytes check missed a UTF-16 DTD; the parser refuses it whatever the encoding."""
    text = (f'<?xml version="1.0" encoding="{encoding.upper()}"?><!DOCTYPE kml [<!ENTITY a "{"x" * 100}">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><kml><Document><name>&b;</name></Document></kml>')
    path = tmp_path / "laughs.kml"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(InputError, match="declares a DTD or XML entities"):
        read_project(path)


def packed(value: float) -> str:
    """``value`` degrees (on a whole second) written as packed ddd.mmss, as 拐点坐标 tables write them."""
    seconds = round(value * 3600)
    return f"{seconds // 3600}.{seconds % 3600 // 60:02d}{seconds % 60:02d}"


CORNERS = [(117 + 25 / 60 + 30 / 3600, 39 + 5 / 60 + 10 / 3600), (117 + 26 / 60 + 40 / 3600, 39 + 5 / 60 + 10 / 3600),
           (117 + 26 / 60 + 40 / 3600, 39 + 6 / 60 + 20 / 3600), (117 + 25 / 60 + 30 / 3600, 39 + 6 / 60 + 20 / 3600)]
"""A plot whose corners fall on whole seconds (as surveyed corner tables list them)."""
PLOT = shapely.Polygon(CORNERS)


def corner_table(tmp_path, write) -> str:
    path = tmp_path / "拐点坐标.csv"
    path.write_text("点号,经度,纬度\n" + "".join(f"J{n},{write(x)},{write(y)}\n" for n, (x, y) in enumerate(CORNERS, 1)),
                    encoding="utf-8")
    return path


def test_packed_ddd_mmss_is_refused_with_both_readings(tmp_path):
    path = corner_table(tmp_path, packed)
    assert packed(CORNERS[0][0]) == "117.2530"
    with pytest.raises(InputError, match=r"read two ways: 117\.253, 39\.051 as decimal degrees, or as ddd\.mmss "
                                         r"\(117°25′30\.00″, 39°05′10\.00″ = 117\.425000, 39\.086111\), [\d.]+ km apart"):
        read_project(path, crs="EPSG:4490")
    read = read_project(path, crs="EPSG:4490", degrees="dms")
    assert offset_m(read, PLOT) < 0.01
    wrong = read_project(path, crs="EPSG:4490", degrees="decimal")
    assert offset_m(wrong, PLOT) > 15_000  # the silent answer of before: 23 km away


@pytest.mark.parametrize("write", [
    lambda v: f"{int(v)}°{int(v % 1 * 60):02d}′{round(v * 3600 % 60, 2):05.2f}″",
    lambda v: f"{int(v)}度{int(v % 1 * 60)}分{round(v * 3600 % 60, 2)}秒",
    lambda v: f"{int(v)}:{int(v % 1 * 60):02d}:{round(v * 3600 % 60, 2):05.2f}",
], ids=["symbols", "chinese", "colons"])
def test_dms_text_is_read(tmp_path, write):
    assert offset_m(read_project(corner_table(tmp_path, write), crs="EPSG:4490"), PLOT) < 0.01


def test_decimal_degrees_that_cannot_be_packed_need_no_option(tmp_path):
    """A seconds part of 60 or more (117.42583) cannot be ddd.mmss: read as decimal degrees."""
    path = corner_table(tmp_path, lambda v: f"{v:.8f}")
    assert offset_m(read_project(path, crs="EPSG:4490"), PLOT) < 0.01
    with pytest.raises(InputError, match="not packed ddd.mmss"):
        read_project(path, crs="EPSG:4490", degrees="dms")


def test_a_parcel_column_named_fenzu_groups_the_vertices(tmp_path):
    """点号,分组,x坐标,y坐标: two parcels, once read as one self-intersecting ring that --repair blew up to 428 ha."""
    from pyproj import Transformer
    to_gk = Transformer.from_crs(4490, 4527, always_xy=True)
    rows = ["点号,分组,x坐标,y坐标"]
    for group, parcel in ((1, OUTER), (2, SECOND)):
        for n, (lon, lat) in enumerate(parcel.exterior.coords, 1):
            east, north = to_gk.transform(lon, lat)
            rows.append(f"J{n},{group},{north:.3f},{east:.3f}")
    path = tmp_path / "分组.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.warns(Warning, match="survey convention"):
        project = read_project(path, crs="EPSG:4527")
    assert project.parcels == 2
    assert offset_m(project, shapely.union(OUTER, SECOND)) < 0.1  # edges straight in Gauss-Krüger, not in lon/lat


def test_parts_touching_at_a_corner_are_two_parts(tmp_path):
    """A valid MultiPolygon whose parts share one corner: refused before as 'ring 2 crosses or encloses ring 1'."""
    west, east = shapely.box(117.20, 39.10, 117.21, 39.11), shapely.box(117.21, 39.11, 117.22, 39.12)
    rows = ["地块,圈号,经度,纬度"] + [f"A,{ring},{x},{y}" for ring, part in ((1, west), (2, east))
                                   for x, y in part.exterior.coords]
    path = tmp_path / "corner.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    project = read_project(path, crs="EPSG:4490", degrees="decimal")
    assert len(shapely.get_parts(project.geometry)) == 2


def test_an_old_datum_is_never_moved_silently(tmp_path):
    """Xian 1980 has no PROJ transformation to CGCS2000: a correction says so; a CRS with the bureau's 7 parameters
    (+towgs84) is moved by them, and the report says that instead."""
    import geopandas as gpd
    from pyproj import Transformer
    xian = gpd.GeoDataFrame(geometry=[OUTER], crs=4490).to_crs(2384)
    path = tmp_path / "xian80.gpkg"
    xian.to_file(path)
    with pytest.warns(Warning, match="null shift"):
        project = read_project(path)
    assert [w["code"] for w in project.warnings] == ["datum_unknown_shift"]
    helmert = ("+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +ellps=IAU76 "
               "+towgs84=20,-50,-30,0,0,0,0 +units=m +no_defs")
    with pytest.warns(Warning, match="7 parameters"):
        bound = read_project(path, crs=helmert)
    assert [w["code"] for w in bound.warnings] == ["datum_parameters"]
    to_wgs = Transformer.from_crs(helmert, 4326, always_xy=True)
    expected = shapely.transform(xian.geometry[0], lambda xy: np.column_stack(to_wgs.transform(xy[:, 0], xy[:, 1])))
    assert shapely.hausdorff_distance(shapely.segmentize(bound.geometry, 1), shapely.segmentize(expected, 1)) \
        * METRES_PER_DEGREE < 0.05
    assert offset_m(bound, OUTER) > 10  # the parameters moved it


def test_lon_lat_reports_carry_the_web_map_note(tmp_path):
    import geopandas as gpd
    path = tmp_path / "plain.geojson"
    gpd.GeoDataFrame(geometry=[OUTER], crs=4326).to_file(path)
    assert [n["code"] for n in read_project(path).describe()["notes"]] == ["web_map_offset"]
    assert read_project(path, crs="gcj02").describe()["notes"] == []
    gk = tmp_path / "gk.gpkg"
    gpd.GeoDataFrame(geometry=[OUTER], crs=4490).to_crs(4527).to_file(gk)
    assert read_project(gk).describe()["notes"] == []


def test_a_geojson_with_a_byte_order_mark_is_read(tmp_path):
    """Notepad saves UTF-8 with a BOM; RFC 7946 §11.2 lets readers ignore it."""
    import json
    path = tmp_path / "记事本.geojson"
    feature = {"type": "Feature", "properties": {"name": "地块"}, "geometry": shapely.geometry.mapping(OUTER)}
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(feature, ensure_ascii=False).encode())
    assert offset_m(read_project(path), OUTER) < 1e-6


def test_esri_json_is_named(tmp_path):
    path = tmp_path / "arcgis.json"
    path.write_text('{"geometryType": "esriGeometryPolygon", "spatialReference": {"wkid": 4490}, "features": []}')
    with pytest.raises(InputError, match="this is Esri JSON"):
        read_project(path)


def test_web_mercator_metres_are_suggested_as_such(tmp_path):
    """x ≈ 1.3e7, y ≈ 4.7e6 once led to EPSG:4491 (Gauss-Krüger zone 13, in Kazakhstan)."""
    import geopandas as gpd
    path = tmp_path / "mercator.shp"
    frame = gpd.GeoDataFrame(geometry=[OUTER], crs=4326).to_crs(3857)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pyogrio: "'crs' was not provided" (that is the point)
        gpd.GeoDataFrame(geometry=list(frame.geometry.values)).to_file(path)
    with pytest.raises(CRSError, match="Web Mercator metres .*EPSG:3857"):
        read_project(path)
    assert offset_m(read_project(path, crs="EPSG:3857"), OUTER) < 0.01


def survey_sheet(parcels, *, first_again=True):
    """Rows of a 界址点坐标成果表 as a surveying institute lays it out: a title, a project row, a unit row, the
    header, then each parcel's points (X = northing, Y = easting, CGCS2000 zone 39) with a 边长 row between two
    points, the parcel's name only on its first row (merged below), and an area row at the end."""
    from pyproj import Transformer
    to_gk = Transformer.from_crs(4490, 4527, always_xy=True)
    rows = [["界址点坐标成果表"], ["项目名称：某某物流园", None, "坐标系：2000国家大地坐标系"], ["单位：米"],
            ["地块", "点号", "X坐标(m)", "Y坐标(m)", "边长(m)"]]
    for name, parcel in parcels:
        corners = list(parcel.exterior.coords)[: None if first_again else -1]
        for number, (lon, lat) in enumerate(corners, 1):
            east, north = to_gk.transform(lon, lat)
            rows.append([name if number == 1 else None, f"J{number}", round(north, 3), round(east, 3), None])
            if number < len(corners):
                rows.append([None, None, None, None, 123.45])
    rows.append(["合计", None, None, None, "面积 2.8800 公顷"])
    return rows


def test_an_excel_coordinate_sheet_reads_like_its_csv(tmp_path):
    import csv

    import openpyxl
    rows = survey_sheet([("地块一", OUTER), ("地块二", SECOND)], first_again=False)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "界址点成果表"
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A1:E1")
    first = next(number for number, row in enumerate(rows, 1) if row[0] == "地块二")
    sheet.merge_cells(f"A5:A{first - 1}")
    book.create_sheet("说明").append(["本表由测绘院出具"])
    book.save(tmp_path / "坐标.xlsx")
    with open(tmp_path / "坐标.csv", "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows([["" if cell is None else cell for cell in row] for row in rows])
    expected = shapely.union(OUTER, SECOND)
    for name in ("坐标.xlsx", "坐标.csv"):
        with pytest.warns(Warning, match="survey convention"):
            project = read_project(tmp_path / name, crs="EPSG:4527")
        assert project.parcels == 2 and offset_m(project, expected) < 0.1, name
    with pytest.raises(InputError, match="no sheet 'x'; its sheets: 界址点成果表, 说明"):
        read_project(tmp_path / "坐标.xlsx", crs="EPSG:4527", layer="x")


def test_a_workbook_that_is_not_one_is_refused(tmp_path):
    (tmp_path / "fake.xlsx").write_bytes(b"<html>not a workbook</html>")
    (tmp_path / "fake.xls").write_bytes(b"PK\x03\x04 a zip named xls")
    for name in ("fake.xlsx", "fake.xls"):
        with pytest.raises(InputError, match="the content is not an"):
            read_project(tmp_path / name, crs="EPSG:4527")


def write_gdb(folder):
    """A File Geodatabase as 国土空间规划 data is delivered: a polygon layer in CGCS2000 zone 39, a point layer and an
    attribute table beside it."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    gpd.GeoDataFrame({"name": ["红线"]}, geometry=[OUTER], crs=4490).to_crs(4527).to_file(
        folder, layer="红线", driver="OpenFileGDB")
    gpd.GeoDataFrame({"name": ["J1"]}, geometry=[shapely.Point(117.2, 39.1)], crs=4490).to_file(
        folder, layer="界址点", driver="OpenFileGDB")
    pyogrio.write_dataframe(pd.DataFrame({"项目": ["某某"]}), folder, layer="项目信息", driver="OpenFileGDB")
    return folder


def test_a_file_geodatabase_folder_and_its_zip(tmp_path):
    import zipfile
    gdb = write_gdb(tmp_path / "成果.gdb")
    archive = tmp_path / "成果.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for item in sorted(gdb.iterdir()):
            out.write(item, f"交付/成果.gdb/{item.name}")
        for number in range(250):  # a real delivery holds hundreds of members; 200 was the limit
            out.writestr(f"交付/附件/{number}.txt", "附件")
    for source in (gdb, archive):
        with pytest.warns(Warning, match="only layer 红线 holds polygons"):
            project = read_project(source)
        assert project.source_crs.to_epsg() == 4527 and offset_m(project, OUTER) < 0.1


def test_a_zip_naming_a_member_twice_is_refused(tmp_path):
    """Python's zipfile reads one entry of a repeated name and GDAL's /vsizip/ another: a parcel could hide."""
    import zipfile
    path = tmp_path / "twice.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile: "Duplicate name"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("p.geojson", '{"type": "FeatureCollection", "features": []}')
            archive.writestr("p.geojson", '{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="member 'p.geojson' appears twice"):
        read_project(path)


def test_datasets_of_one_name_in_two_folders_are_both_offered(tmp_path):
    """Two a.geojson in different folders collapsed into one layer: the first was never read."""
    import json
    import zipfile
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for folder, polygon in (("一期", OUTER), ("二期", SECOND)):
            archive.writestr(f"{folder}/红线.geojson", json.dumps(
                {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(polygon)}))
    with pytest.raises(InputError, match=r"polygons on 2 layers: 一期/红线 .*二期/红线"):
        read_project(path)
    assert offset_m(read_project(path, layer="一期/红线"), OUTER) < 1e-6


@pytest.mark.parametrize(("suffix", "advice"), [(".dwg", "save it as DXF"), (".wp", "export the area file"),
                                                (".mdb", "File Geodatabase"), (".gpx", "a GPX track is a line"),
                                                (".tab", "MapInfo"), (".ovobj", "export it as .ovkml")])
def test_formats_not_read_say_what_to_do(tmp_path, suffix, advice):
    path = tmp_path / f"项目{suffix}"
    path.write_bytes(b"\x00binary")
    with pytest.raises(InputError, match=advice):
        read_project(path)


def test_a_geopackage_with_an_attribute_table_reads_its_polygon_layer(tmp_path):
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    path = tmp_path / "with_table.gpkg"
    gpd.GeoDataFrame({"name": ["红线"]}, geometry=[OUTER], crs=4490).to_file(path, layer="红线")
    pyogrio.write_dataframe(pd.DataFrame({"项目": ["某某"]}), path, layer="项目信息")
    assert offset_m(read_project(path), OUTER) < 1e-6


def bubiao(header, rows_of, *, template=False, sep=",", trailing="", area="{:.4f}"):
    """A 部标 TXT of OUTER in CGCS2000 3-degree CM 117°E without zone prefix (EPSG:4548), written with ``header``."""
    from pyproj import Transformer
    to_gk = Transformer.from_crs(4490, 4548, always_xy=True)
    corners = [to_gk.transform(x, y) for x, y in OUTER.exterior.coords]
    area_ha = shapely.Polygon(corners).area / 10_000
    lines = ["[属性描述]", *header, "[地块坐标]"]
    if template:
        lines.append("界址点数,地块面积,地块编号,地块名称,图形属性,图幅号,地块用途,地类编码,@")
    lines.append(sep.join([str(len(corners)), area.format(area_ha), "1", "地块", "面", "", "", "", "@"]) + trailing)
    lines += [sep.join([f"J{n}", "1", f"{north:.3f}", f"{east:.3f}"]) + trailing for n, (east, north) in enumerate(corners, 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("header", "options", "warns"), [
    (["坐标系=2000国家大地坐标系", "几度分带=3", "带号=117"], {}, ["central meridian"]),
    (["坐标系=2000国家大地坐标系", "几度分带=3", "中央子午线=117"], {}, ["central meridian"]),
    (["坐标系=2000国家大地坐标系", "几度分带=3", "带号=39"], {"sep": "\t"}, []),
    (["坐标系=2000国家大地坐标系", "几度分带=3", "带号=39"], {"trailing": ","}, []),
    (["坐标系=2000国家大地坐标系", "几度分带=3", "带号=39"], {"template": True}, ["template's field-name line"]),
    (["坐标系=2000国家大地坐标系", "几度分带=3", "带号=39"], {"area": "{:.4f}公顷"}, ["carries its unit"]),
], ids=["zone-is-meridian", "meridian-key", "tabs", "trailing-comma", "template-line", "area-with-unit"])
def test_bubiao_txt_variants(tmp_path, header, options, warns):
    path = tmp_path / "报批.txt"
    path.write_text(bubiao(header, None, **options).replace("[", "【" if "template" in options else "[")
                    .replace("]", "】" if "template" in options else "]"), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        project = read_project(path)
    messages = [str(w.message) for w in caught]
    for expected in warns:
        assert any(expected in m for m in messages), (expected, messages)
    assert not any("declares" in m for m in messages), messages  # the declared area matched once its unit was read
    assert project.source_crs.to_epsg() == 4548 and offset_m(project, OUTER) < 0.1


def test_an_old_xls_coordinate_sheet_reads_like_the_xlsx(tmp_path):
    """The same 界址点坐标成果表 saved as Excel 97–2003 (.xls, written by xlwt, read by xlrd)."""
    import xlwt
    book = xlwt.Workbook()
    sheet = book.add_sheet("坐标")
    for number, row in enumerate(survey_sheet([("地块一", OUTER)])):
        for column, value in enumerate(row):
            if value is not None:
                sheet.write(number, column, value)
    book.save(str(tmp_path / "坐标.xls"))
    with pytest.warns(Warning, match="survey convention"):
        project = read_project(tmp_path / "坐标.xls", crs="EPSG:4527")
    assert project.parcels == 1 and offset_m(project, OUTER) < 0.1
