"""``redline convert``: a boundary file into another format or CRS, vertex by vertex."""

from __future__ import annotations

import click
import numpy as np
import shapely

from redline.cli.common import fail, overwrite_option, reading, tell
from redline.crs import parse_crs
from redline.errors import CRSError
from redline.io import read_project
from redline.io.writers import write_boundary, writer_for
from redline.isolation import isolated


@click.command()
@click.argument("source", type=click.Path())
@click.argument("target", type=click.Path(dir_okay=False))
@click.option("--to-crs", help="CRS of TARGET (default: SOURCE's); a .txt needs a Gauss-Krüger CRS, e.g. EPSG:4527.")
@reading("crs", "layer", "encoding", "degrees", "repair")
@overwrite_option
@click.pass_context
def convert(ctx, source, target, to_crs, reading, overwrite):
    """Convert a boundary file to the format TARGET's suffix names: the land-submission TXT (.txt), GeoJSON,
    GeoPackage, Shapefile (.shp, or .zip of its parts), KML/KMZ, DXF (layer 红线), GeoParquet, FlatGeobuf
    or a CSV of vertices.

    Vertices are transformed one by one (no densifying), as a surveyor's conversion would.
    Example: redline convert project.geojson project.txt --to-crs EPSG:4527
    """
    writer_for(target)  # an unknown format is refused before anything is read
    target_crs = parse_crs(to_crs) if to_crs else None
    project = isolated(read_project, source, **reading, label=source)
    tell(ctx, project.warnings)
    frame = project.source.to_frame() if target_crs is None else project.source.to_frame().to_crs(target_crs)
    coordinates = shapely.get_coordinates(frame.geometry.values)
    if not np.isfinite(coordinates).all():
        fail(CRSError(f"{source}: 换算到 {frame.crs.to_string()} 后坐标为无穷 / the coordinates become infinite in "
                      f"{frame.crs.to_string()}: the boundary lies outside that CRS's area; choose the CRS of its zone"))
    written = write_boundary(frame, target, overwrite=overwrite)
    click.echo(f"{target}: {len(frame)} 个地块，坐标系 {frame.crs.to_string()} / {len(frame)} parcel(s) in "
               f"{frame.crs.to_string()} ({', '.join(p.name for p in written)})")
