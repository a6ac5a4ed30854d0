"""`sam-layers lock`, `lock --check` and `build --frozen`, with real resolutions by uv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Metadata:
  SamLayers:
    Groups:
      Web: {Packages: [%s]}
    Default: [Web]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src}
"""


run = run_cli


def test_lock_check_frozen_and_relock(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE % '"requests==2.32.3"')

    stale = run("lock", "--check", cwd=tmp_path)
    assert stale.returncode == 1
    assert stale.stderr == ("stale: sam-layers.lock: Web/python3.12/x86_64 is not locked or its "
                            "group changed; run `sam-layers lock`\n")
    unlocked = run("transform", cwd=tmp_path).stdout

    done = run("lock", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("locked Web/python3.12/x86_64: ")
    lock = (tmp_path / "sam-layers.lock").read_bytes()
    assert b'name = "requests"\nversion = "2.32.3"' in lock
    assert b'name = "boto3"' not in lock
    assert run("lock", "--check", cwd=tmp_path).returncode == 0
    again = run("lock", cwd=tmp_path)
    assert "is up to date (1 variant)" in again.stderr
    assert (tmp_path / "sam-layers.lock").read_bytes() == lock

    # The layer's Lock hash follows the locked pins.
    locked = run("transform", cwd=tmp_path).stdout
    assert locked != unlocked
    assert [line for line in locked.splitlines() if "Lock:" in line] != [
        line for line in unlocked.splitlines() if "Lock:" in line]

    template.write_text(TEMPLATE % '"requests==2.32.3", "six"')
    assert run("lock", "--check", cwd=tmp_path).returncode == 1
    frozen = run("build", "--no-sam", "--frozen", cwd=tmp_path)
    assert frozen.returncode == 2
    assert frozen.stderr.splitlines() == [
        "error: sam-layers.lock: Web/python3.12/x86_64 is not locked or its group changed; "
        "run `sam-layers lock` (--frozen refuses to)"]
    assert (tmp_path / "sam-layers.lock").read_bytes() == lock
    relocked = run("build", "--no-sam", "--no-verify", cwd=tmp_path)
    assert relocked.returncode == 0, relocked.stderr
    assert "locked Web/python3.12/x86_64" in relocked.stderr
    assert b'name = "six"' in (tmp_path / "sam-layers.lock").read_bytes()


@pytest.mark.parametrize("packages,complete", [
    ('"aws-xray-sdk"', False),  # the SDK it needs is left out: the runtime has it
    ('"aws-xray-sdk", "botocore"', True),  # naming botocore keeps the whole SDK
])
def test_container_requirements_are_complete_when_the_group_names_the_sdk(
        tmp_path: Path, packages: str, complete: bool) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(TEMPLATE % packages)
    assert run("lock", cwd=tmp_path).returncode == 0
    assert run("transform", "--use-container", cwd=tmp_path).returncode == 0
    requirements = tmp_path / ".sam-layers" / "WebLayer" / "requirements.txt"
    uv = Path(sys.executable).with_name("uv")
    # What SAM's image does with the file, in hash-checking mode; uv stands in for its pip.
    done = subprocess.run([str(uv), "pip", "install", "--quiet", "--require-hashes", "-r",
                           str(requirements), "--target", str(tmp_path / "t"),
                           "--python-platform", "x86_64-manylinux_2_34", "--python-version",
                           "3.12", "--only-binary", ":all:"],
                          capture_output=True, text=True, timeout=300)
    assert (done.returncode == 0) is complete, done.stderr
    if complete:
        assert (tmp_path / "t" / "botocore").is_dir() and (tmp_path / "t" / "jmespath").is_dir()
    else:
        assert "no trusted hash was provided for: `botocore`" in " ".join(done.stderr.split())
