"""Readers and writers of planners' boundary files."""

from redline.io.applications import FeatureTable, applications_of, feature_table_of, read_feature_table
from redline.io.project import Project, as_project, project_of, read_project
from redline.io.txt import write_txt

__all__ = ["FeatureTable", "Project", "applications_of", "as_project", "feature_table_of", "project_of", "read_feature_table",
           "read_project", "write_txt"]
