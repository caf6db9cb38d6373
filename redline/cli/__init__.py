"""The command line: ``redline check``, ``batch``, ``serve``, … It wires the library; it computes nothing.

One module per command (``check`` also holds ``report``; ``avoid`` holds ``compare``; ``batch`` holds
``recheck``; ``office`` holds ``users`` and ``audit``); ``common`` holds the group, the exit statuses and the
options generated from the library's tables.
"""

from redline.cli.avoid import avoid, compare
from redline.cli.batch import batch, recheck
from redline.cli.check import check, report
from redline.cli.common import EXIT_ERROR, EXIT_FLAGGED, EXIT_PASS, main
from redline.cli.convert import convert
from redline.cli.index import index
from redline.cli.layers import layers
from redline.cli.office import audit, users
from redline.cli.serve import serve

for command in (check, report, convert, avoid, compare, batch, recheck, index, serve, users, audit, layers):
    main.add_command(command)

__all__ = ["EXIT_ERROR", "EXIT_FLAGGED", "EXIT_PASS", "main"]
