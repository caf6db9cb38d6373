"""Print the area redline reads for the R30-fillet plot of tests/test_cad.py in each of its six CAD encodings, beside
the closed-form area and the area the chords alone enclose (what reading the vertices without their bulges gave).

Run: PYTHONPATH=. .venv/bin/python scripts/measure_cad_arcs.py
"""

import logging
import tempfile
import warnings
from pathlib import Path

from redline.io import read_project
from tests.test_cad import DRAWINGS, FILLET_AREA_M2, R, drawing, r12_polyline

logging.disable(logging.WARNING)  # ezdxf: "Drawing units ($INSUNITS) are not exported for DXF R12."
warnings.simplefilter("ignore")
chords_m2 = 100 * 100 - R * R / 2
print(f"closed form {FILLET_AREA_M2:,.4f} m²; chords only {chords_m2:,.4f} m² "
      f"({(chords_m2 - FILLET_AREA_M2) / FILLET_AREA_M2:+.2%})")
for draw in DRAWINGS:
    path = drawing(Path(tempfile.mkdtemp()), draw, version="R12" if draw is r12_polyline else "R2018")
    area_m2 = read_project(path, crs="EPSG:4548").source.geometries[0].area
    print(f"{draw.__name__:20s} {area_m2:,.4f} m²  relative error {abs(area_m2 - FILLET_AREA_M2) / FILLET_AREA_M2:.2e}")
