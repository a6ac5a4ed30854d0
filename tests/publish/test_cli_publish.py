"""`sam-layers publish` as a user runs it: a subprocess over a real template and a built zip,
against moto's server through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_cli

from tests.publish.conftest import Aws
from tests.publish.helpers import ACCOUNT, layer_zip

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Metadata:
  SamLayers:
    Groups:
      Data:
        Packages: ["six==1.16.0"]
        LicenseInfo: MIT
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      SamLayers: [Data]
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src}
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("publish", *args, cwd=cwd, timeout=120)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    folder = tmp_path / "orders"
    (folder / "src").mkdir(parents=True)
    (folder / "template.yaml").write_text(TEMPLATE)
    layer_zip(folder / ".sam-layers" / "build" / "DataLayer.zip", b"import six\n")
    return folder


def test_publish_then_rerun(aws: Aws, app: Path) -> None:
    first = run("--region", "us-east-1", "--ssm-prefix", "/sam-layers",
                "--share-account", "111122223333", cwd=app)
    assert first.returncode == 0, first.stderr
    manifest = Path(".sam-layers") / "published.json"  # relative to the template, as given
    assert first.stdout.splitlines() == [
        "LAYER        REGION     VERSION  STATUS     NOTES",
        "orders-data  us-east-1  1        published  shared: account-111122223333; "
        "ssm /sam-layers/orders-data/x86_64/python3.12",
        f"1 new layer version(s), 0 unchanged; manifest {manifest}",
    ]
    stored = aws.client("lambda").get_layer_version(LayerName="orders-data", VersionNumber=1)
    assert stored["Description"].startswith("sam-layers Data: six==1.16.0 (lock ")
    assert stored["LicenseInfo"] == "MIT"
    assert aws.client("ssm").get_parameter(
        Name="/sam-layers/orders-data/x86_64/python3.12")["Parameter"]["Value"] == (
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:orders-data:1")
    assert [e["version_arn"] for e in json.loads((app / manifest).read_text())["layers"]] == [
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:orders-data:1"]

    second = run("--regions", "us-east-1", "--name-prefix", "orders", "--json", cwd=app)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert (report["ok"], report["published"], report["unchanged"], report["summary"]) == (
        True, 0, 1, "nothing changed: 1 layer version(s) already published, no new version")
    assert [(layer["layer_name"], layer["status"], layer["version"])
            for region in report["regions"] for layer in region["layers"]] == [
        ("orders-data", "unchanged", 1)]


def test_bad_input_is_exit_2_before_any_call(aws: Aws, app: Path) -> None:
    proc = run("--regions", "us-east-1,moon", "--share-account", "123", "--share-org", "o-X",
               cwd=app)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "error: 'moon' is not an AWS region name (like us-east-1)",
        "error: '123' is not an AWS account id (12 digits)",
        "error: 'o-X' is not an AWS Organizations id ('o-' and 10-32 lowercase letters or digits)",
    ]
    assert aws.client("lambda").list_layers()["Layers"] == []


def test_missing_zip_says_how_to_build_it(aws: Aws, app: Path) -> None:
    (app / ".sam-layers" / "build" / "DataLayer.zip").unlink()
    proc = run("--region", "us-east-1", cwd=app)
    assert proc.returncode == 2
    zip_path = Path(".sam-layers") / "build" / "DataLayer.zip"
    assert proc.stderr.splitlines() == [
        f"error: {zip_path}: layer orders-data: no built zip here: run "
        "`sam-layers build --no-sam` first"]


def test_denied_calls_exit_1_naming_each_region(aws: Aws, app: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    iam = aws.client("iam")
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    aws.set_auth("0")
    proc = run("--regions", "us-east-1,eu-west-1", cwd=app)
    aws.set_auth("inf")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[:3] == [
        "LAYER        REGION     VERSION  STATUS  NOTES",
        "orders-data  us-east-1  -        failed",
        "orders-data  eu-west-1  -        failed",
    ]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert [line.split(": ")[1:4] for line in errors] == [
        ["us-east-1", "orders-data", "ListLayerVersions"],
        ["eu-west-1", "orders-data", "ListLayerVersions"]]


def test_help_explains_naming() -> None:
    proc = subprocess.run([sys.executable, "-m", "sam_layers", "publish", "--help"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0
    assert "<prefix>-<group>[-<variant>] in lower case" in proc.stdout
    assert "template folder's name unless --name-prefix is given" in proc.stdout


def test_build_then_publish_changes_one_version_per_group_change(
        aws: Aws, app: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The real chain: `sam-layers build --no-sam` (uv, PyPI) gives byte-identical zips for an
    unchanged group, so only a changed group publishes a new version."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("UV_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "uv-cache"))

    def build() -> None:
        proc = subprocess.run([sys.executable, "-m", "sam_layers", "build", "--no-sam"], cwd=app,
                              capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr

    def publish() -> list[tuple[str, object]]:
        proc = subprocess.run([sys.executable, "-m", "sam_layers", "publish", "--region",
                               "us-east-1", "--json"], cwd=app, capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        return [(layer["status"], layer["version"])
                for region in report["regions"] for layer in region["layers"]]

    build()
    assert publish() == [("published", 1)]
    build()
    assert publish() == [("unchanged", 1)]
    template = app / "template.yaml"
    template.write_text(template.read_text().replace("six==1.16.0", "six==1.17.0"))
    build()
    assert publish() == [("published", 2)]
    stored = aws.client("lambda").get_layer_version(LayerName="orders-data", VersionNumber=2)
    assert stored["Description"].startswith("sam-layers Data: six==1.17.0 (lock ")
