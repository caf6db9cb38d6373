"""The README's set-up commands are the ones CI and the demo actually run."""

import doctest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\nbash scripts/test.sh\n" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_readme_demo_command_exists():
    assert "\nbash scripts/demo.sh\n" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "scripts" / "demo.sh").exists()


def test_the_readme_python_session_runs(monkeypatch):
    """The README's notebook session (its ``>>>`` lines) gives the output it shows."""
    monkeypatch.chdir(ROOT)
    failures, tried = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert tried >= 15 and failures == 0
