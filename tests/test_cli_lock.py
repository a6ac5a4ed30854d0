"""`sam-layers lock`, `lock --check` and `build --frozen`, with real resolutions by uv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sam_layers", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


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
