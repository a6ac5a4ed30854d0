"""How sam-layers finds and drives the SAM CLI (the parts that need no real build)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sam_layers import samcli
from sam_layers.errors import BadInput, ToolError


def test_missing_sam_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError) as caught:
        samcli.find_sam()
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith("`sam` was not found: install the AWS SAM CLI "
                                        "(`pip install aws-sam-cli`")


def test_missing_sam_from_the_command_line(tmp_path: Path) -> None:
    """A Python with sam-layers but no `sam` anywhere: exit 2, one line, no traceback."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: python3.12, Handler: a.h, CodeUri: .}\n")
    # The test virtualenv again, but with a bin/ that holds only python (no sam, no uv).
    venv = tmp_path / "venv"
    fake_bin = venv / "bin"
    fake_bin.mkdir(parents=True)
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
    (fake_bin / "python").symlink_to(Path(sys.executable).resolve())
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([str(fake_bin / "python"), "-m", "sam_layers", "build"],
                          cwd=app, capture_output=True, text=True, timeout=120,
                          env={"PATH": str(fake_bin), "PYTHONPATH": str(root),
                               "HOME": str(tmp_path)})
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: `sam` was not found: install the AWS")
    assert "Traceback" not in done.stderr


def test_config_is_the_one_beside_the_template(tmp_path: Path) -> None:
    assert samcli.find_config(tmp_path, None) is None
    (tmp_path / "samconfig.toml").write_text(
        'version = 0.1\n[default.build.parameters]\ncached = true\n'
        '[prod.build.parameters]\nuse_container = true\n'
        '[prod.global.parameters]\nstack_name = "x"\n')
    found = samcli.find_config(tmp_path, None)
    assert found == tmp_path / "samconfig.toml"
    assert samcli.build_parameters(found) == {"cached": True}
    assert samcli.build_parameters(found, "prod") == {"use_container": True, "stack_name": "x"}
    with pytest.raises(BadInput, match="config file not found"):
        samcli.find_config(tmp_path, "other.toml")


@pytest.mark.parametrize("line,resource", [
    ("Building layer 'DataLayer'", "DataLayer"),
    ("DataLayer: Running CustomMakeBuilder:MakeBuild", "DataLayer"),
    ("Building codeuri: /x/src/api runtime: python3.12 architecture: x86_64 functions: ApiFunction",
     "ApiFunction"),
])
def test_started_resource_lines(line: str, resource: str) -> None:
    matches = [p.search(line) for p in samcli._STARTED]
    assert [m.group(1) for m in matches if m][0] == resource
