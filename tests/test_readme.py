"""The README's set-up commands are the ones CI and the demo actually run."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci_command = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "pytest" in line][0]
    readme_command = [line for line in readme.splitlines() if line.startswith("python3 -m venv") and "pytest" in line][0]
    assert ci_command.replace("--quiet ", "") == readme_command.replace("--quiet ", "")


def test_readme_demo_command_exists():
    assert "bash scripts/demo.sh" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "scripts" / "demo.sh").exists()
