"""Batches: many applications checked unattended, resumable after a kill (``run_batch``).

``inputs`` reads the applications and their declarations, ``run`` checks them in worker processes,
``journal`` keeps what is done, ``tables`` writes the results, ``progress`` shows how far it is.
"""

from redline.batch.progress import ProgressBar
from redline.batch.run import Summary, run_batch, write_maps

__all__ = ["ProgressBar", "Summary", "run_batch", "write_maps"]
