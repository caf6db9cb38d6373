"""Parameters and documents are declared once (``redline.parameters``, ``redline.report.documents``): the CLI's
options, the service's form fields and routes, and the messages of each front derive from those tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from redline.cli import main
from redline.cli.common import declarations, parameter_option
from redline.errors import CRSError, GeometryError
from redline.io import read_project
from redline.model import Options
from redline.parameters import DECLARATIONS, PARTICULARS, READING, Parameter, cli_spelling, form_spelling, spelled
from redline.report.documents import DOCUMENTS, OF_RECORD
from redline.service import Config, create_app
from redline.service.forms import form_fields

INPUTS = Path(__file__).resolve().parent / "data" / "inputs"


def _options(command: click.Command) -> set[str]:
    return {option for parameter in command.params for option in parameter.opts}


def test_every_parameter_and_document_is_an_option_of_check():
    options = _options(main.commands["check"])
    assert {parameter.flag for parameter in (*READING, *DECLARATIONS, *PARTICULARS)} <= options
    assert {f"--{document.name}" for document in DOCUMENTS.values()} <= options


def test_every_parameter_is_a_form_field_and_every_document_of_record_a_route(tmp_path, tianjin):
    schema = create_app(tianjin, Config(db=tmp_path / "r.sqlite")).openapi()
    form = next(body for name, body in schema["components"]["schemas"].items() if name.startswith("Body_create_check"))
    fields = form["properties"]
    assert {parameter.name for parameter in (*READING, *DECLARATIONS, *PARTICULARS)} <= set(fields)
    assert fields["activity"]["anyOf"][0] == {"type": "integer", "maximum": 10, "minimum": 1}
    assert fields["search_m"] == {"type": "number", "minimum": 0.0, "maximum": 20000.0, "default": 2000.0, "title": "Search M",
                                  "description": "邻近检索半径（米） / Radius (m) within which an absent constraint "
                                                 "reports its nearest feature"}
    route = schema["paths"]["/v1/checks/{check_id}/report.{kind}"]["get"]
    kind = next(parameter for parameter in route["parameters"] if parameter["name"] == "kind")
    assert kind["schema"]["enum"] == list(OF_RECORD) == ["pdf", "docx"]
    assert {DOCUMENTS[k].media_type for k in OF_RECORD} <= set(route["responses"]["200"]["content"])


def test_a_parameter_declared_in_memory_becomes_an_option_and_a_form_field(tmp_path):
    """What adding a parameter costs: a table entry; the generators give each front its spelling and bounds."""
    floors = Parameter("floors", "层数", "floors", "Storeys above ground", kind=int, minimum=1, maximum=200)

    @click.command()
    @parameter_option(floors)
    def command(floors):
        click.echo(f"floors={floors}")

    assert CliRunner().invoke(command, ["--floors", "12"]).output == "floors=12\n"
    refused = CliRunner().invoke(command, ["--floors", "0"])
    assert refused.exit_code == 2 and "0 is not in the range 1<=x<=200" in refused.output

    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/apply")
    @form_fields((floors,))
    def apply(**fields) -> dict:
        return fields

    form = app.openapi()["components"]["schemas"]["Body_apply_apply_post"]["properties"]["floors"]
    assert form["anyOf"][0] == {"type": "integer", "maximum": 200, "minimum": 1} and form["description"].startswith("层数")


def test_declarations_reach_the_command_as_options():
    @click.command()
    @declarations
    def command(options):
        click.echo(repr(options))

    given = CliRunner().invoke(command, ["--national-major", "--search-m", "500"])
    assert given.output.strip() == repr(Options(national_major=True, search_m=500.0))
    assert {field.name for field in dataclasses.fields(Options)} == {parameter.name for parameter in DECLARATIONS}


@pytest.mark.parametrize("message, cli, form", [
    ("pass crs=EPSG:4527", "pass --crs EPSG:4527", "pass the form field crs=EPSG:4527"),
    ("fix it or pass repair=True", "fix it or pass --repair", "fix it or pass the form field repair"),
    ("Choose the layer with layer=…;", "Choose the layer with --layer;", "Choose the layer with the form field layer;"),
    ("recrs=EPSG:1 and search_m=5", "recrs=EPSG:1 and --search-m 5", "recrs=EPSG:1 and the form field search_m=5"),
])
def test_each_front_spells_the_library_keywords(message, cli, form):
    assert spelled(message, cli_spelling) == cli
    assert spelled(message, form_spelling) == form


def test_the_library_names_its_keyword_and_the_cli_its_option(tmp_path):
    shapefile = INPUTS / "bad" / "no_prj.shp"
    with pytest.raises(CRSError, match="pass crs=EPSG:4527"):
        read_project(shapefile)
    result = CliRunner().invoke(main, ["check", str(shapefile)])
    assert result.exit_code == 2 and "pass --crs EPSG:4527" in result.output and "crs=" not in result.output


def test_a_format_declared_in_memory_is_read_with_every_check_of_a_file(tmp_path, monkeypatch):
    """What adding an input format costs: a reader and an entry in ``FORMATS``; validation, CRS checks and
    corrections come with it."""
    import geopandas as gpd
    import shapely

    from redline.io import formats
    from redline.io.features import Features

    def read_xyz(path, **reading):  # "x y" per line, one ring, CGCS2000 3-degree zone 39 with its prefix
        ring = [tuple(map(float, line.split())) for line in path.read_text().splitlines() if line.strip()]
        return Features.of(gpd.GeoDataFrame({"name": ["xyz"]}, geometry=[shapely.Polygon(ring)], crs="EPSG:4527"))

    monkeypatch.setattr(formats, "FORMATS", [*formats.FORMATS, formats.Format((".xyz",), "XYZ", read_xyz)])
    square = [(39_500_000, 4_300_000), (39_500_100, 4_300_000), (39_500_100, 4_300_100), (39_500_000, 4_300_100)]
    (tmp_path / "plot.xyz").write_text("\n".join(f"{x} {y}" for x, y in square))
    project = read_project(tmp_path / "plot.xyz")
    assert project.name == "xyz" and project.source_crs.to_epsg() == 4527
    assert project.warnings == ()
    (tmp_path / "bow.xyz").write_text("\n".join(f"{x} {y}" for x, y in (square[0], square[2], square[1], square[3])))
    with pytest.raises(GeometryError, match="is invalid .*repair=True"):
        read_project(tmp_path / "bow.xyz")
