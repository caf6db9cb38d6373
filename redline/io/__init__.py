"""Readers and writers of planners' boundary files."""

from redline.io.project import Project, ensure_in_region, read_applications, read_project
from redline.io.txt import write_txt

__all__ = ["Project", "ensure_in_region", "read_applications", "read_project", "write_txt"]
