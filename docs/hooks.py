"""MkDocs hook: the HTTP API reference page from the service's own OpenAPI document."""

from __future__ import annotations

import tempfile
from pathlib import Path


def on_page_markdown(markdown: str, page, **_) -> str:
    if page.file.src_uri != "reference/http.md":
        return markdown
    from redline.layers import load_layers
    from redline.service import Config, create_app

    with tempfile.TemporaryDirectory() as folder:
        schema = create_app(load_layers(), Config(db=Path(folder) / "r.sqlite")).openapi()
    lines = ["| Method | Path | What it does | Answers |", "|---|---|---|---|"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            summary = (operation.get("description") or operation.get("summary", "")).strip().split("\n\n")[0]
            statuses = ", ".join(sorted(operation.get("responses", {})))
            lines.append(f"| `{method.upper()}` | `{path}` | {' '.join(summary.split()).replace('|', '/')} | {statuses} |")
    form = next(body for name, body in schema["components"]["schemas"].items() if name.startswith("Body_create_check"))
    fields = ["", "## Upload form (`POST /v1/checks`)", "", "| Field | Type | Default | Meaning |", "|---|---|---|---|"]
    for name, field in form["properties"].items():
        kind = field.get("type") or " or ".join(option.get("type", "") for option in field.get("anyOf", []))
        fields.append(f"| `{name}` | {kind} | {field.get('default', '')} | {field.get('description', '').replace('|', '/')} |")
    return markdown + "\n" + "\n".join(lines + fields) + "\n"
