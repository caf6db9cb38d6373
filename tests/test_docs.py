"""The docs build with MkDocs in strict mode (a broken link or a docstring the reference cannot read fails), and
the generated reference pages hold every command, route and upload field the code has."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from redline.cli import main
from redline.parameters import DECLARATIONS, PARTICULARS, READING

ROOT = Path(__file__).resolve().parent.parent


def test_the_docs_build_without_warnings_and_reference_the_code(tmp_path):
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    assert "WARNING" not in built.stderr
    cli = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert all(f"redline {name}" in cli for name in main.commands)
    http = (tmp_path / "site" / "reference" / "http" / "index.html").read_text(encoding="utf-8")
    assert all(route in http for route in ("/v1/checks/{check_id}/decision", "/v1/audit", "/healthz", "/login"))
    assert all(f"<code>{p.name}</code>" in http for p in (*READING, *DECLARATIONS, *PARTICULARS))
    python = (tmp_path / "site" / "reference" / "python" / "index.html").read_text(encoding="utf-8")
    assert "load_layers" in python and "FORMATS" in python and "DECLARATIONS" in python
