"""Reports for reviewers and machines: JSON, GeoJSON, a terminal summary and a folium HTML map."""
