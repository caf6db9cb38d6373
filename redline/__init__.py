"""redline: check project boundaries against protected layers (ecological red line, farmland, coast, sea, …).

>>> import redline
>>> layers = redline.load_layers()                       # the shipped Tianjin demo manifest
>>> report = redline.check("data/samples/01_qilihai_road.geojson", layers)
>>> report.verdict, [f.status for f in report.findings]

``check`` takes a file path, a shapely geometry, a GeoSeries or a GeoDataFrame (with ``crs=`` when it has
none); ``check_many`` a GeoDataFrame of applications; ``load_layers`` a manifest file or layers in memory.
"""

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("redline")
except PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0+unknown"

from redline.errors import (
    Correction,
    CRSError,
    FormatError,
    GeometryError,
    InputError,
    LimitError,
    ManifestError,
    RedlineError,
    RedlineWarning,
)
from redline.io import Project, project_of, read_project
from redline.layers import LayerSet, load_layers
from redline.manifest import DEFAULT_MANIFEST, Manifest, manifest_from_frames, read_manifest
from redline.model import REPORT_SCHEMA, FeatureHit, Finding, Options, Report, Status, Verdict
from redline.pipeline import check, check_many
from redline.rules import RULES

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["CRSError", "Correction", "DEFAULT_MANIFEST", "FeatureHit", "Finding", "FormatError", "GeometryError",
           "InputError", "LayerSet", "LimitError", "Manifest", "ManifestError", "Options", "Project", "REPORT_SCHEMA",
           "RULES", "RedlineError", "RedlineWarning", "Report", "Status", "Verdict", "__version__", "check",
           "check_many", "load_layers", "manifest_from_frames", "project_of", "read_manifest", "read_project"]
