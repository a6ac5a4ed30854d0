"""`sam-layers verify` and `sam-layers plan` on the quickstart, built for real with --no-sam."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sam_layers.verify.pythons import find_python
from tests.support.examples import copy_example
from tests.support.cli import run_cli
from tests.verify.helpers import Layers

pytestmark = pytest.mark.integration


def sam_layers(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quickstart, copied and built with `sam-layers build --no-sam` (no verify)."""
    project = tmp_path_factory.mktemp("quickstart") / "app"
    copy_example("quickstart", project)
    build = sam_layers(project, "build", "--no-sam", "--no-verify")
    assert build.returncode == 0, build.stderr
    return project


def test_plan_before_and_after_a_build(quickstart: Path, tmp_path: Path) -> None:
    unbuilt = tmp_path / "unbuilt"
    copy_example("quickstart", unbuilt)
    table = sam_layers(unbuilt, "plan")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[2:] == [
        "ApiFunction     python3.12/x86_64  1. WebLayer (Web)      1/5    not built",
        "ReportFunction  python3.12/x86_64  1. WebLayer (Web)      2/5    not built",
        "                                   2. DataLayer (Data)",
    ]
    built = sam_layers(quickstart, "plan", "--json")
    assert built.returncode == 0, built.stderr
    rows = {row["function"]: row for row in json.loads(built.stdout)["functions"]}
    web = _size(quickstart / ".sam-layers" / "build" / "WebLayer")
    data = _size(quickstart / ".sam-layers" / "build" / "DataLayer")
    code = _size(quickstart / "src" / "report")
    assert [layer["unzipped_bytes"] for layer in rows["ReportFunction"]["layers"]] == [web, data]
    assert rows["ReportFunction"]["unzipped_bytes"] == web + data + code
    assert rows["ReportFunction"]["layer_count"] == 2
    markdown = sam_layers(quickstart, "plan", "--markdown")
    assert markdown.stdout.splitlines()[3].startswith(
        "| `ReportFunction` | python3.12/x86_64 | 1. `WebLayer` (Web, ")


def test_quickstart_verifies_with_zero_findings(quickstart: Path) -> None:
    if find_python("3.12").executable is None:
        pytest.skip("CPython 3.12 is not installed")
    result = sam_layers(quickstart, "verify", "--json", "-t", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {
        "ok": True, "counts": {"error": 0, "warning": 0, "info": 0}, "findings": []}
    assert list((quickstart / ".sam-layers" / "build").rglob("__pycache__")) == []
    assert sam_layers(quickstart, "verify").stdout == "no findings\n"


def test_a_broken_layer_fails_verify_with_exit_1(quickstart: Path, layers: Layers,
                                                 tmp_path: Path) -> None:
    broken = tmp_path / "app"
    shutil.copytree(quickstart, broken, symlinks=True)
    arm = layers.get("arm", "aarch64-manylinux_2_17", "3.12", ["markupsafe==3.0.4"])
    shutil.copytree(arm / "python", broken / ".sam-layers" / "build" / "WebLayer" / "python",
                    dirs_exist_ok=True)
    result = sam_layers(broken, "verify", "--skip-import", "--json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [(f["id"], f["severity"], f["location"]) for f in findings] == [
        ("SL004", "error", "WebLayer:python/markupsafe/_speedups.cpython-312-aarch64-linux-gnu.so")]
    table = sam_layers(broken, "verify", "--skip-import")
    assert table.returncode == 1
    assert table.stdout.splitlines()[-1] == "1 error"


def test_plan_json_and_markdown_are_alternatives(quickstart: Path) -> None:
    result = sam_layers(quickstart, "plan", "--json", "--markdown")
    assert result.returncode == 2
    assert "--json and --markdown are alternatives" in result.stderr


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
