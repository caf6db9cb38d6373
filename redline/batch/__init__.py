"""Batches: many applications checked unattended, resumable after a kill (``run_batch``).

``inputs`` reads the applications and their declarations, ``run`` checks them in worker processes,
``journal`` keeps what is done, ``tables`` writes the results (and the workbook), ``drawn`` the maps and review
files per application as they are checked, ``progress`` shows how far it is.
"""

from redline.batch.drawn import Drawing
from redline.batch.progress import ProgressBar
from redline.batch.run import Summary, run_batch
from redline.batch.tables import write_workbook

__all__ = ["Drawing", "ProgressBar", "Summary", "run_batch", "write_workbook"]
