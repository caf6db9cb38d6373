"""CAD arcs: bulges, ARC/CIRCLE, hatch edge paths and outlines of separate pieces, against their exact areas.

Every drawing is built here from its description (a square plot of 100 m whose corner is an R30 road fillet,
道路红线切角, at Tianjin's Gauss-Krüger easting/northing, central meridian 117°E, EPSG:4548), and its area is
compared with the closed-form area of the true curves, not with another flattening.
"""

import math

import ezdxf
import numpy as np
import pytest
import shapely

from redline.errors import Correction, GeometryError, LimitError
from redline.io import read_project
from redline.io.cad import MAX_SAGITTA_M

X0, Y0 = 512_000.0, 4_330_000.0
"""South-west corner of the plot (EPSG:4548 metres, in Tianjin)."""
R = 30.0
FILLET_AREA_M2 = 100 * 100 - (R * R - math.pi * R * R / 4)
BULGE_90 = math.tan(math.radians(90) / 4)
CRS = {"crs": "EPSG:4548"}


def at(x, y):
    return X0 + x, Y0 + y


FILLETED = [(*at(0, 0), 0), (*at(100, 0), 0), (*at(100, 70), BULGE_90), (*at(70, 100), 0), (*at(0, 100), 0)]
"""The plot's corners, the bulge of the arc from (100, 70) to (70, 100) on its start vertex (format xyb)."""


def lwpolyline(space):
    space.add_lwpolyline(FILLETED, format="xyb", close=True, dxfattribs={"layer": "红线"})


def r12_polyline(space):
    space.add_polyline2d([(x, y, 0, 0, b) for x, y, b in FILLETED], format="xyseb", close=True, dxfattribs={"layer": "红线"})


def hatch_polyline_path(space):
    space.add_hatch(dxfattribs={"layer": "红线"}).paths.add_polyline_path(FILLETED, is_closed=True)


def hatch_edge_path(space):
    edges = space.add_hatch(dxfattribs={"layer": "红线"}).paths.add_edge_path()
    edges.add_line(at(0, 0), at(100, 0))
    edges.add_line(at(100, 0), at(100, 70))
    edges.add_arc(at(70, 70), R, 0, 90)
    edges.add_line(at(70, 100), at(0, 100))
    edges.add_line(at(0, 100), at(0, 0))


def lines_and_arc(space):
    """Separate LINEs and an ARC, as CASS draws a 宗地 outline; one LINE drawn backwards, one end 0.5 mm short."""
    for start, end in ((at(0, 0), at(100, 0)), (at(100, 70), at(100, 0)), (at(70, 100), at(0, 100)), (at(0, 100), at(0, 0.0005))):
        space.add_line(start, end, dxfattribs={"layer": "红线"})
    space.add_arc(at(70, 70), R, 0, 90, dxfattribs={"layer": "红线"})


def mirrored_arc(space):
    """The fillet as an ARC whose extrusion is -Z (a mirrored block, common in CAD): its OCS x is the WCS -x."""
    for start, end in ((at(0, 0), at(100, 0)), (at(100, 0), at(100, 70)), (at(70, 100), at(0, 100)), (at(0, 100), at(0, 0))):
        space.add_line(start, end, dxfattribs={"layer": "红线"})
    cx, cy = at(70, 70)
    space.add_arc((-cx, cy), R, 90, 180, dxfattribs={"layer": "红线", "extrusion": (0, 0, -1)})


DRAWINGS = [lwpolyline, r12_polyline, hatch_polyline_path, hatch_edge_path, lines_and_arc, mirrored_arc]


def drawing(tmp_path, *draw, version="R2018"):
    document = ezdxf.new(version)
    for make in draw:
        make(document.modelspace())
    path = tmp_path / f"{draw[0].__name__}.dxf"
    document.saveas(path)
    return path


@pytest.mark.filterwarnings("ignore::redline.errors.Correction")
@pytest.mark.parametrize("draw", DRAWINGS, ids=lambda draw: draw.__name__)
def test_an_r30_fillet_keeps_its_area_and_lies_on_its_arc(tmp_path, draw):
    path = drawing(tmp_path, draw, version="R12" if draw is r12_polyline else "R2018")
    outline = read_project(path, **CRS).source.geometries[0]
    assert outline.area == pytest.approx(FILLET_AREA_M2, rel=1e-4)  # the bound; the chords lose ≤ 5e-5
    assert outline.area <= FILLET_AREA_M2 + 0.001  # chords only cut off (the 0.5 mm gap adds < 0.001 m²)
    centre = np.array(at(70, 70))
    coordinates = np.asarray(outline.exterior.coords)
    on_arc = coordinates[(coordinates[:, 0] > centre[0] + 1e-6) & (coordinates[:, 1] > centre[1] + 1e-6)]
    assert len(on_arc) > 10
    np.testing.assert_allclose(np.hypot(*(on_arc - centre).T), R, atol=1e-6)
    arc = np.vstack([at(100, 70), on_arc[np.argsort(np.arctan2(*(on_arc - centre).T[::-1]))], at(70, 100)])
    midpoints = (arc[1:] + arc[:-1]) / 2
    assert (R - np.hypot(*(midpoints - centre).T)).max() <= MAX_SAGITTA_M


def test_the_bulge_toward_the_red_line_is_part_of_the_plot(tmp_path):
    """The silent pass of the issue: with its bulge dropped, the arc's land (and what it touches) was not checked."""
    outline = read_project(drawing(tmp_path, lwpolyline), **CRS).source.geometries[0]
    chord_only = shapely.Polygon([(x, y) for x, y, _ in FILLETED])
    inside_the_arc = shapely.Point(at(70 + R * math.cos(math.pi / 4) - 0.05, 70 + R * math.sin(math.pi / 4) - 0.05))
    assert outline.contains(inside_the_arc) and not chord_only.contains(inside_the_arc)


@pytest.mark.parametrize(("make", "expected_m2"), [
    (lambda space: space.add_circle(at(50, 50), 25, dxfattribs={"layer": "红线"}), math.pi * 25 ** 2),
    (lambda space: space.add_ellipse(at(50, 50), (40, 0), 0.5, dxfattribs={"layer": "红线"}), math.pi * 40 * 20),
    (lambda space: space.add_lwpolyline([(*at(0, 0), 0), (*at(100, 0), 0), (*at(100, 100), 0), (*at(0, 100), -1)],
                                        format="xyb", close=True, dxfattribs={"layer": "红线"}),
     100 * 100 - math.pi * 50 ** 2 / 2),
])
def test_circles_ellipses_and_inward_bulges(tmp_path, make, expected_m2):
    path = drawing(tmp_path, make)
    assert read_project(path, **CRS).source.geometries[0].area == pytest.approx(expected_m2, rel=1e-4)


def test_a_hatch_edge_path_with_an_elliptic_arc_and_a_spline(tmp_path):
    """A half-ellipse closed by its axis, and a spline edge along a straight control polygon (a line)."""
    def draw(space):
        edges = space.add_hatch(dxfattribs={"layer": "红线"}).paths.add_edge_path()
        edges.add_ellipse(at(50, 0), major_axis=(50, 0), ratio=0.4, start_angle=0, end_angle=180)
        edges.add_spline(control_points=[at(0, 0), at(25, 0), at(50, 0), at(100, 0)], degree=3,
                         knot_values=[0, 0, 0, 0, 1, 1, 1, 1])
    outline = read_project(drawing(tmp_path, draw), **CRS).source.geometries[0]
    assert outline.area == pytest.approx(math.pi * 50 * 20 / 2, rel=1e-4)


def test_pieces_joined_into_an_outline_are_named_in_a_correction(tmp_path):
    with pytest.warns(Warning, match=r"5 pieces \(1 ARC, 4 LINE, handles .*\) meeting end to end within 1 mm joined"):
        project = read_project(drawing(tmp_path, lines_and_arc), **CRS)
    assert any(w["code"] == "outline_joined" for w in project.warnings)


def test_pieces_that_close_nothing_are_refused_naming_their_types(tmp_path):
    def draw(space):
        space.add_line(at(0, 0), at(100, 0), dxfattribs={"layer": "红线"})
        space.add_line(at(100, 0), at(100, 100), dxfattribs={"layer": "红线"})
        space.add_arc(at(50, 100), 50, 0, 180, dxfattribs={"layer": "红线"})  # ends at (0, 100): 100 m from the start
    with pytest.raises(GeometryError, match=r"no closed polyline or hatch.*红线: 1 ARC, 2 LINE"):
        read_project(drawing(tmp_path, draw), **CRS)


def test_a_junction_of_three_pieces_is_not_guessed(tmp_path):
    """A square of LINEs with a line across it: which loop is the plot cannot be known; nothing is joined."""
    def draw(space):
        corners = [at(0, 0), at(100, 0), at(100, 100), at(0, 100)]
        for start, end in zip(corners, corners[1:] + corners[:1]):
            space.add_line(start, end, dxfattribs={"layer": "红线"})
        space.add_line(at(0, 0), at(100, 100), dxfattribs={"layer": "红线"})
    with pytest.raises(GeometryError, match="5 LINE"):
        read_project(drawing(tmp_path, draw), **CRS)


def test_an_arc_in_the_wrong_units_is_refused_not_densified_for_ever(tmp_path):
    """A radius of 1e12 drawing units needs millions of vertices at 1 cm: a limit, not a hang."""
    def draw(space):
        space.add_circle(at(0, 0), 1e12, dxfattribs={"layer": "红线"})
    with pytest.raises(LimitError, match="over the 100,000 limit"):
        read_project(drawing(tmp_path, draw), **CRS)


def test_a_binary_dxf_reads_as_its_text_twin(tmp_path):
    document = ezdxf.new("R2018")
    lwpolyline(document.modelspace())
    document.saveas(tmp_path / "text.dxf")
    document.saveas(tmp_path / "binary.dxf", fmt="bin")
    assert (tmp_path / "binary.dxf").read_bytes().startswith(b"AutoCAD Binary DXF")
    text, binary = (read_project(tmp_path / name, **CRS) for name in ("text.dxf", "binary.dxf"))
    assert binary.name == text.name == "红线" and binary.geometry.equals_exact(text.geometry, 0)


@pytest.mark.parametrize("declared", [b"ANSI_1252", None])
def test_gbk_layer_names_under_a_western_code_page_are_read_as_chinese_with_a_correction(tmp_path, declared):
    """Chinese CAD programs write GBK layer names in R12 DXF under ANSI_1252, or with no code page: read as 红线, said
    in a correction, never shown as mojibake (ºìÏß); a Western name under ANSI_1252 stays as it is."""
    document = ezdxf.new("R12")
    r12_polyline(document.modelspace())
    document.saveas(tmp_path / "gbk.dxf", encoding="gbk")  # ezdxf writes $DWGCODEPAGE ANSI_1252 beside GBK bytes
    raw = (tmp_path / "gbk.dxf").read_bytes()
    assert "红线".encode("gbk") in raw and b"ANSI_1252" in raw
    if declared is None:
        raw = raw.replace(b"  9\n$DWGCODEPAGE\n  3\nANSI_1252\n", b"")
        assert b"DWGCODEPAGE" not in raw
    (tmp_path / "gbk.dxf").write_bytes(raw)
    with pytest.warns(Correction, match="read as GB18030") as caught:
        project = read_project(tmp_path / "gbk.dxf", **CRS)
    assert project.name == "红线" and any("红线" in str(warning.message) for warning in caught)
    western = ezdxf.new("R12")
    western.modelspace().add_polyline2d([(x, y, 0, 0, b) for x, y, b in FILLETED], format="xyseb", close=True,
                                        dxfattribs={"layer": "Café"})
    western.saveas(tmp_path / "western.dxf", encoding="cp1252")
    assert read_project(tmp_path / "western.dxf", **CRS).name == "Café"


def test_ezdxf_and_openpyxl_are_imported_only_when_needed():
    """The CLI starts without them (0.3 s of its start); ``preload`` imports a DXF's reader for the readers' children."""
    import subprocess
    import sys

    code = ("import sys, redline.cli; from redline.io.formats import preload; seen = ['ezdxf' in sys.modules]; "
            "preload(['a.parquet']); seen.append('ezdxf' in sys.modules); preload(['B.DXF']); "
            "print(*seen, 'ezdxf' in sys.modules, 'openpyxl' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False", "True", "False"]
