"""``python -m redline.cli``: the command line."""

from redline.cli import main

main()
