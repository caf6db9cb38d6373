"""The docs build with MkDocs in strict mode (a broken link or a docstring the reference cannot read fails), and
the generated reference pages hold every command, route and upload field the code has."""

from __future__ import annotations

import re
import shlex
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


NEEDS_ELSEWHERE = ("postgresql://", "tcp://", "/tmp/v2", " serve", " passwd", " | ")
"""Commands the docs show that need what a doc's prose sets up or a server (each has its own test): PostGIS
(tests/test_postgis.py), a Dask scheduler (tests/test_batch.py), a second vintage of the layers
(tests/test_vintages.py), the service (tests/test_service.py), a password typed in, a synopsis."""
OUTPUT_OPTIONS = {"-o", "--output", "--geojson", "--map", "--pdf", "--docx", "--xlsx", "--sheet"}


def doc_commands() -> list:
    """(doc, command, the output lines the doc shows after it) for every redline command in a fenced block of the
    README and docs/, continuation lines joined."""
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        lines, inside, number = doc.read_text(encoding="utf-8").splitlines(), False, 0
        while number < len(lines):
            line = lines[number]
            number += 1
            if line.startswith("```"):
                inside = not inside
                continue
            if not inside or not re.match(r"^(\$ )?(\.venv/bin/)?redline ", line):
                continue
            command = line.removeprefix("$ ")
            while command.rstrip().endswith("\\"):
                command, number = command.rstrip()[:-1] + " " + lines[number].strip(), number + 1
            shown = []
            while line.startswith("$ ") and number < len(lines) and not lines[number].startswith(("```", "$ ")):
                shown.append(lines[number])
                number += 1
            found.append((doc.name, command, shown))
    return found


def _runnable(command: str, folder: Path) -> bool:
    """Whether every input the command names is in the repository (or was written by an earlier command)."""
    if any(marker in f" {command}" for marker in NEEDS_ELSEWHERE):
        return False
    words = shlex.split(command, comments=True)
    inputs = [word for before, word in zip(["", *words], words) if before not in OUTPUT_OPTIONS
              and not word.startswith("-") and re.search(r"\.(geojson|gpkg|shp|json|toml|dxf|txt|csv)$|/$", word)]
    return all((folder / word).exists() for word in inputs)


def test_the_commands_in_the_docs_run_and_say_what_the_docs_show(tmp_path, monkeypatch):
    """Each doc's commands, in order, in a folder of their own beside the repository's data (run in this process, as
    ``redline`` would run them): exit 0 or 1 (2 only where the doc shows the refusal), no exception but the exit, and
    every output line the doc shows (but "…") is in what the command printed."""
    from click.testing import CliRunner

    ran, by_doc = [], {}
    for doc, command, shown in doc_commands():
        folder = by_doc.get(doc)
        if folder is None:
            folder = by_doc[doc] = tmp_path / doc.removesuffix(".md")
            folder.mkdir()
            for name in ("data", "tests"):
                (folder / name).symlink_to(ROOT / name)
        parts, said, refused = command.split("&&"), "", any(line.startswith("redline: ") for line in shown)
        every = all(_runnable(part, folder) for part in parts)
        for part in parts:
            if not _runnable(part, folder):
                continue
            words = shlex.split(part, comments=True)
            monkeypatch.chdir(folder)
            done = CliRunner().invoke(main, words[1:], prog_name="redline")
            said += " " + " ".join(done.output.split())
            assert done.exception is None or isinstance(done.exception, SystemExit), f"{doc}: {part}: {done.exception!r}"
            assert done.exit_code in ((0, 1, 2) if refused else (0, 1)), f"{doc}: {part}\n{done.output[-2000:]}"
            ran.append(part)
        for line in shown if every else ():  # what a chain printed, when all of it ran; "…" stands for anything
            pieces = [re.escape(" ".join(piece.split())) for piece in line.split("…")]
            assert re.search(".*?".join(pieces), said), f"{doc}: {command}: the docs show {line!r}"
    assert len(ran) >= 15, ran
