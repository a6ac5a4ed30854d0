"""The `sam build` hook and `sam-layers build`, with the real aws-sam-cli (no Docker here).

SAM's Python workflow builds *functions* with the runtime's own python3.X, which it looks
for on PATH; these tests put pyenv's CPythons first on PATH, as a developer machine would.
The container path (`--use-container`) is exercised up to the generated template, which is
then built by `sam build` without the container flag: the same `BuildMethod: python3.X`
workflow SAM's image would run. The container run itself needs Docker and is not tested.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from tests.support import samcheck
from tests.support.examples import copy_example
from sam_layers.verify.pythons import find_python
from tests.support.cli import cli_env, run_cli
from tests.support.elfbytes import EM_AARCH64, EM_X86_64, elf_machines

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.integration


def sam_layers(*args: str, cwd: Path, env: Optional[dict[str, str]] = None,
               ) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=env or build_env(), timeout=900)


def runtime_python(version: str) -> Optional[Path]:
    return find_python(version).executable


def build_env(**extra: str) -> dict[str, str]:
    dirs = [str(p.parent) for p in (runtime_python(v) for v in ("3.11", "3.12", "3.13")) if p]
    env = cli_env(SAM_CLI_TELEMETRY="0", **extra)
    env["PATH"] = os.pathsep.join([*dirs, str(Path(sys.executable).parent), env["PATH"]])
    return env


def app_copy(name: str, tmp_path: Path) -> Path:
    return copy_example(name, tmp_path / name, keep_lock=False)


def imports_in_isolation(version: str, layer_dirs: list[Path], modules: list[str]) -> None:
    python = runtime_python(version)
    if python is None:
        pytest.skip(f"no CPython {version} on this machine")
    code = ("import sys; sys.path[:0] = sys.argv[1:]; "
            + "; ".join(f"import {m}" for m in modules))
    done = subprocess.run([str(python), "-I", "-B", "-c", code, *map(str, layer_dirs)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_sam_layers_build_quickstart(tmp_path: Path) -> None:
    app = app_copy("quickstart", tmp_path)
    done = sam_layers("build", cwd=app)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Build Succeeded" in done.stdout
    built = app / ".aws-sam" / "build"
    assert (built / "WebLayer" / "python" / "requests" / "__init__.py").is_file()
    assert (built / "DataLayer" / "python" / "pandas" / "__init__.py").is_file()
    assert not (built / "DataLayer" / "python" / "boto3").exists()
    imports_in_isolation("3.12", [built / "WebLayer" / "python", built / "DataLayer" / "python"],
                         ["requests", "pandas", "numpy"])
    final = samcheck.load_sam(built / "template.yaml")
    layers = {k: v for k, v in final["Resources"].items()
              if v["Type"] == "AWS::Serverless::LayerVersion"}
    assert {k: v["Properties"]["ContentUri"] for k, v in layers.items()} == {
        "WebLayer": "WebLayer", "DataLayer": "DataLayer"}
    assert final["Resources"]["ReportFunction"]["Properties"]["Layers"] == [
        {"Ref": "WebLayer"}, {"Ref": "DataLayer"}]
    # The user's samconfig (cached + parallel) was used: SAM wrote its build cache.
    assert (app / ".aws-sam" / "cache").is_dir()
    assert (app / "sam-layers.lock").is_file()
    generated = app / ".sam-layers" / "template.yaml"
    lint = samcheck.sam_validate_lint(generated)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    # Nothing changed: the cached rebuild works and touches no layer.
    again = sam_layers("build", cwd=app)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "copying previously built resources for following layers (WebLayer)" in again.stdout
    assert "copying previously built resources for following layers (DataLayer)" in again.stdout


def test_plain_sam_build_on_the_transform_output(tmp_path: Path) -> None:
    app = app_copy("multi-arch", tmp_path)
    out = app / "build" / "template.yaml"
    done = sam_layers("transform", "-o", str(out), cwd=app)
    assert done.returncode == 0, done.stderr
    sam = subprocess.run([str(samcheck.sam_executable()), "build", "-t", str(out)], cwd=app,
                         capture_output=True, text=True, env=build_env(), timeout=900)
    assert sam.returncode == 0, sam.stdout + sam.stderr
    built = app / ".aws-sam" / "build"
    arm = built / "WebLayerPython312Arm64" / "python"
    x86 = built / "WebLayerPython311X86" / "python"
    assert (arm / "pydantic_core").is_dir() and (x86 / "pydantic_core").is_dir()
    assert elf_machines(arm) == {EM_AARCH64}
    assert elf_machines(x86) == {EM_X86_64}
    imports_in_isolation("3.11", [x86], ["requests", "pydantic"])


def test_container_variant_builds_with_sams_python_workflow(tmp_path: Path) -> None:
    app = app_copy("quickstart", tmp_path)
    locked = sam_layers("lock", cwd=app)
    assert locked.returncode == 0, locked.stderr
    out = app / ".sam-layers" / "template.yaml"
    done = sam_layers("transform", "--use-container", "-o", str(out), cwd=app)
    assert done.returncode == 0, done.stderr
    generated = samcheck.load_sam(out)
    web = generated["Resources"]["WebLayer"]
    assert web["Metadata"]["BuildMethod"] == "python3.12"
    assert web["Metadata"]["BuildArchitecture"] == "x86_64"
    requirements = (app / ".sam-layers" / "WebLayer" / "requirements.txt").read_text()
    assert "requests==" in requirements and "--hash=sha256:" in requirements
    sam = subprocess.run([str(samcheck.sam_executable()), "build", "-t", str(out)], cwd=app,
                         capture_output=True, text=True, env=build_env(), timeout=900)
    assert sam.returncode == 0, sam.stdout + sam.stderr
    built = app / ".aws-sam" / "build"
    imports_in_isolation("3.12", [built / "WebLayer" / "python", built / "DataLayer" / "python"],
                         ["requests", "pandas"])


def test_sam_failure_keeps_its_exit_code_and_names_the_layer(tmp_path: Path) -> None:
    app = app_copy("quickstart", tmp_path)
    done = sam_layers("build", "--", "--no-cached", cwd=app,
                      env=build_env(SAM_LAYERS_PYTHON="/bin/false"))
    assert done.returncode == 1
    assert "Build Failed" in done.stdout
    assert done.stderr.splitlines()[-1] in (
        "error: sam build failed (exit 1) while building layer WebLayer",
        "error: sam build failed (exit 1) while building layer DataLayer")


def test_no_sam_builds_zips(tmp_path: Path) -> None:
    app = app_copy("quickstart", tmp_path)
    done = sam_layers("build", "--no-sam", cwd=app)
    assert done.returncode == 0, done.stderr
    build = app / ".sam-layers" / "build"
    assert sorted(p.name for p in build.glob("*.zip")) == ["DataLayer.zip", "WebLayer.zip"]
    assert "[2/2]" in done.stderr
    before = (build / "DataLayer.zip").read_bytes()
    again = sam_layers("build", "--no-sam", cwd=app)
    assert again.returncode == 0, again.stderr
    assert again.stderr == "up to date: 2 layers in .sam-layers/build (nothing changed)\n"
    # A comment in pyproject.toml: the project is read again, each layer found up to date.
    pyproject = app / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "# a comment\n")
    touched = sam_layers("build", "--no-sam", cwd=app)
    assert touched.returncode == 0, touched.stderr
    assert touched.stderr.count("up to date in") == 2
    assert (build / "DataLayer.zip").read_bytes() == before
    # A removed layer folder is noticed, and rebuilt from the layer cache.
    shutil.rmtree(build / "WebLayer")
    rebuilt = sam_layers("build", "--no-sam", cwd=app)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "WebLayer: 2.0 MB unzipped" in rebuilt.stderr and "from cache" in rebuilt.stderr
    assert (build / "WebLayer" / "python" / "requests").is_dir()
