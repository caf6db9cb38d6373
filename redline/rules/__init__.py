"""One module per constraint of the 2024 Beautiful Tianjin policy; each turns an overlap into a finding.

Every rule module defines ``RULE`` (a ``base.Rule``: the manifest ``rule`` key of the layer it reads,
the layer's kind, titles and the clause it enforces) and ``evaluate(overlap, context) -> Finding``.
"""

from redline.rules import (
    coastline,
    farmland,
    nature_reserves,
    reclamation,
    redline,
    river_lake,
    urban_boundary,
    zoning,
)

RULES = (redline, farmland, coastline, reclamation, urban_boundary, river_lake, nature_reserves, zoning)
