"""The `sam-layers transform` command, run as a user runs it: a subprocess, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import run_cli

CASES = Path(__file__).parent / "golden" / "cases"


run = run_cli


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text((CASES / "basic" / "template.yaml").read_text())
    return tmp_path


def test_prints_to_stdout_and_writes_build_folders(app: Path) -> None:
    before = (app / "template.yaml").read_bytes()
    proc = run("transform", cwd=app)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (CASES / "basic" / "expected.yaml").read_text()
    assert (app / "template.yaml").read_bytes() == before
    folder = app / ".sam-layers" / "DataLayer"
    assert sorted(p.name for p in folder.iterdir()) == ["Makefile", "layer.json", "requirements.txt"]
    assert "build-DataLayer:" in (folder / "Makefile").read_text()


def test_output_file_and_check(app: Path) -> None:
    proc = run("transform", "-t", "template.yaml", "-o", "out/t.yaml", cwd=app)
    assert proc.returncode == 0, proc.stderr
    out = app / "out" / "t.yaml"
    assert "CodeUri: ../src/api" in out.read_text()
    assert (app / "out" / ".sam-layers" / "WebLayer" / "layer.json").exists()
    assert run("transform", "--check", "out/t.yaml", cwd=app).returncode == 0
    out.write_text(out.read_text().replace("Timeout: 10", "Timeout: 11"))
    stale = run("transform", "--check", "out/t.yaml", cwd=app)
    assert stale.returncode == 1
    assert "out/t.yaml is stale" in stale.stderr


def test_bad_input_is_exit_2_one_line_per_problem_and_no_output(tmp_path: Path) -> None:
    case = CASES / "error_bad_config"
    for f in case.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    proc = run("transform", "-o", "out.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    expected = ["error: " + line for line in (case / "expected_error.txt").read_text().splitlines()]
    assert proc.stderr.splitlines() == expected
    assert not (tmp_path / "out.yaml").exists()
    assert not (tmp_path / ".sam-layers").exists()


def test_refuses_to_overwrite_the_template(app: Path) -> None:
    proc = run("transform", "-o", "template.yaml", cwd=app)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: template.yaml: the output would overwrite the template")


def test_missing_template_and_usage_errors(tmp_path: Path) -> None:
    missing = run("transform", "-t", "nope.yaml", cwd=tmp_path)
    assert (missing.returncode, missing.stderr) == (
        2, "error: nope.yaml: template not found; pass the SAM template with -t\n")
    usage = run("transform", "--bogus", cwd=tmp_path)
    assert usage.returncode == 2
    assert "No such option" in usage.stderr and "--bogus" in usage.stderr


def test_warnings_go_to_stderr(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        (CASES / "opt_out_and_untouched" / "template.yaml").read_text())
    proc = run("transform", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        "warning: " + line for line in
        (CASES / "opt_out_and_untouched" / "expected_warnings.txt").read_text().splitlines()]
