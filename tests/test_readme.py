"""The README's set-up commands are the ones CI and the demo actually run."""

import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\nbash scripts/test.sh\n" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_readme_demo_command_exists():
    assert "\nbash scripts/demo.sh\n" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "scripts" / "demo.sh").exists()


def test_the_tutorial_python_session_runs(monkeypatch):
    """The tutorial's notebook session (its ``>>>`` lines) gives the output it shows."""
    monkeypatch.chdir(ROOT)
    failures, tried = doctest.testfile(str(ROOT / "docs" / "python.md"), module_relative=False,
                                       optionflags=doctest.ELLIPSIS)
    assert tried >= 15 and failures == 0


def test_the_readme_is_a_front_door_and_every_link_leads_somewhere():
    """README ≤ 200 lines; every relative link of the README and the docs names a file that exists."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    pages = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not target.startswith(("http://", "https://")):
                assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links {target}"
