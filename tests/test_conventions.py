"""Conventions of real planners' files that gave silent wrong answers: 奥维 OvCoordType, web-map lon/lat, packed
ddd.mmss and DMS text, old datums, repairs that redraw a parcel, parcels touching at a corner.

Each file is built here from the convention's description; areas and positions are compared with independent
computations (pyproj, the published GCJ-02 formula run forwards, closed-form areas).
"""

import warnings

import numpy as np
import pytest
import shapely

from redline.errors import CRSError, GeometryError, InputError
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
