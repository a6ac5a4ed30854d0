"""A real AWS endpoint for publish tests: moto's ThreadedMotoServer on 127.0.0.1.

One server per test session; every test starts from an empty server (``/moto-api/reset``) and
reaches it the way users reach AWS: boto3's chain, with ``AWS_ENDPOINT_URL`` and dummy
credentials in the environment.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
import requests


class Aws:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return boto3.session.Session().client(service, region_name=region)

    def versions(self, layer_name: str, region: str = "us-east-1") -> list[int]:
        pages = self.client("lambda", region).list_layer_versions(LayerName=layer_name)
        return sorted(v["Version"] for v in pages["LayerVersions"])

    def create_bucket(self, name: str, region: str = "us-east-1") -> None:
        kwargs: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        self.client("s3", region).create_bucket(**kwargs)

    def set_auth(self, initial_no_auth_action_count: str) -> None:
        """moto's IAM enforcement: "0" checks every request from now on, "inf" none."""
        requests.post(f"{self.endpoint}/moto-api/reset-auth",
                      data=initial_no_auth_action_count.encode(), timeout=10).raise_for_status()


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture()
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Aws]:
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE", "AWS_RETRY_MODE",
                 "AWS_MAX_ATTEMPTS", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "aws-config-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws = Aws(moto_endpoint)
    try:
        yield aws
    finally:
        aws.set_auth("inf")


@pytest.fixture(scope="session")
def big_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A zip just over 50 MiB: seeded random bytes (incompressible), stored, generated once."""
    path = tmp_path_factory.mktemp("big") / "BigLayer.zip"
    data = random.Random(20260101).randbytes(50 * 1024 * 1024 + 4096)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("python/blob.bin", date_time=(1980, 1, 1, 0, 0, 0)), data)
    return path
