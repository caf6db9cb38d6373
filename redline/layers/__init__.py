"""The layer manifest → validated, dissolved, subdivided and indexed protected layers (``load_layers``).

A manifest (TOML) names each layer: titles, its file (and table) or PostGIS ``database`` and ``table``,
geometry kind, the rule it feeds, the attribute naming a feature, the attribute and values giving its
class, a map style, provenance, vintage and the SHA-256 of its file (of its rows for a PostGIS table,
where it is optional and checked when given). Layers are stored in, or reprojected to, CGCS2000 (EPSG:4490).

For measuring, each layer is dissolved per class (classes made disjoint in the manifest's order, so
overlapping features are never counted twice) and cut into pieces of at most ``MAX_PIECE_VERTICES``
vertices (the PostGIS ``ST_Subdivide`` technique) held in a shapely STRtree. A second tree over each
feature's own pieces tells which features a project hits. Pieces keep the layer's own vertices (their
straight cut edges too), which ``redline.crs`` measures exactly.

``read`` reads and validates one layer (files, PostGIS, rasters), ``pieces`` dissolves and subdivides it (and
caches the pieces), ``layerset`` holds a manifest's layers and what maps draw of them, ``publish`` copies the
layers into PostGIS.
"""

from redline.layers.layerset import LayerSet, Nearby, load_layers
from redline.layers.pieces import Pieces
from redline.layers.publish import publish_layers
from redline.layers.read import RasterLayer, VectorLayer, read_vector
from redline.manifest import DEFAULT_MANIFEST

__all__ = ["DEFAULT_MANIFEST", "LayerSet", "Nearby", "Pieces", "RasterLayer", "VectorLayer", "load_layers",
           "publish_layers", "read_vector"]
