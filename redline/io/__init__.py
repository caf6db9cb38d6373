"""Readers and writers of planners' boundary files."""

from redline.io.project import (
    FeatureTable,
    Project,
    applications_of,
    as_project,
    ensure_in_region,
    feature_table_of,
    project_of,
    read_feature_table,
    read_project,
)
from redline.io.txt import write_txt

__all__ = ["FeatureTable", "Project", "applications_of", "as_project", "ensure_in_region", "feature_table_of",
           "project_of", "read_feature_table", "read_project", "write_txt"]
