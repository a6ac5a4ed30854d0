"""publish_layers against a real endpoint: moto's server, reached through boto3's own chain."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from sam_layers.errors import BadInput
from sam_layers.publish import (
    PublishOptions,
    default_client_factory,
    publish_layers,
)
from tests.publish.conftest import Aws
from tests.publish.helpers import ACCOUNT, layer_zip, make_item

pytestmark = pytest.mark.integration

US, EU = "us-east-1", "eu-west-1"


def b64sha(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def statements(aws: Aws, name: str, version: int, region: str = US) -> list[dict[str, Any]]:
    policy = aws.client("lambda", region).get_layer_version_policy(LayerName=name,
                                                                   VersionNumber=version)
    return sorted(json.loads(policy["Policy"])["Statement"], key=lambda s: s["Sid"])


def test_publish_then_rerun_publishes_nothing(aws: Aws, tmp_path: Path) -> None:
    data = layer_zip(tmp_path / "DataLayer.zip", b"import json\n")
    web = layer_zip(tmp_path / "WebLayer.zip", b"import http\n")
    items = [make_item(data), make_item(web, name="proj-web", group="Web", license_info=None)]
    options = PublishOptions(regions=(US,))

    first = publish_layers(items, options)

    assert [(r.layer_name, r.status, r.version, r.error) for r in first.results] == [
        ("proj-data", "published", 1, None), ("proj-web", "published", 1, None)]
    assert first.results[0].version_arn == f"arn:aws:lambda:{US}:{ACCOUNT}:layer:proj-data:1"
    assert first.results[0].code_sha256 == b64sha(data)
    stored = aws.client("lambda").get_layer_version(LayerName="proj-data", VersionNumber=1)
    assert stored["Content"]["CodeSha256"] == b64sha(data)
    assert stored["CompatibleRuntimes"] == ["python3.12"]
    assert stored["CompatibleArchitectures"] == ["x86_64"]
    assert stored["Description"] == "sam-layers Data: test"
    assert stored["LicenseInfo"] == "MIT"
    assert first.summary() == "2 new layer version(s), 0 unchanged"

    second = publish_layers(items, options)

    assert [(r.layer_name, r.status, r.version) for r in second.results] == [
        ("proj-data", "unchanged", 1), ("proj-web", "unchanged", 1)]
    assert second.published == ()
    assert second.summary() == "nothing changed: 2 layer version(s) already published, no new version"
    assert aws.versions("proj-data") == [1]
    assert aws.versions("proj-web") == [1]


def test_changed_zip_publishes_exactly_one_new_version(aws: Aws, tmp_path: Path) -> None:
    data = layer_zip(tmp_path / "DataLayer.zip", b"v1")
    web = layer_zip(tmp_path / "WebLayer.zip", b"web")
    items = [make_item(data), make_item(web, name="proj-web", group="Web")]
    options = PublishOptions(regions=(US,))
    publish_layers(items, options)

    layer_zip(data, b"v2")
    report = publish_layers(items, options)

    assert [(r.layer_name, r.status, r.version) for r in report.results] == [
        ("proj-data", "published", 2), ("proj-web", "unchanged", 1)]
    assert aws.versions("proj-data") == [1, 2]
    assert aws.versions("proj-web") == [1]


def test_sharing_adds_each_statement_once(aws: Aws, tmp_path: Path) -> None:
    item = make_item(layer_zip(tmp_path / "DataLayer.zip", b"shared"))
    options = PublishOptions(regions=(US,), share_accounts=("111122223333",),
                             share_org="o-abcdef1234")

    first = publish_layers([item], options)
    second = publish_layers([item], options)

    assert first.results[0].granted == ("sam-layers-account-111122223333",
                                        "sam-layers-org-o-abcdef1234")
    assert second.results[0].granted == ()
    assert second.results[0].status == "unchanged"
    resource = f"arn:aws:lambda:{US}:{ACCOUNT}:layer:proj-data:1"
    assert statements(aws, "proj-data", 1) == [
        {"Sid": "sam-layers-account-111122223333", "Effect": "Allow", "Principal": "111122223333",
         "Action": "lambda:GetLayerVersion", "Resource": resource},
        {"Sid": "sam-layers-org-o-abcdef1234", "Effect": "Allow", "Principal": "*",
         "OrganizationId": "o-abcdef1234", "Action": "lambda:GetLayerVersion",
         "Resource": resource},
    ]


def test_public_only_when_asked(aws: Aws, tmp_path: Path) -> None:
    item = make_item(layer_zip(tmp_path / "DataLayer.zip", b"public"))
    publish_layers([item], PublishOptions(regions=(US,), share_accounts=("111122223333",)))
    assert [s["Sid"] for s in statements(aws, "proj-data", 1)] == [
        "sam-layers-account-111122223333"]

    report = publish_layers([item], PublishOptions(regions=(US,), public=True))

    assert report.results[0].granted == ("sam-layers-public",)
    public = [s for s in statements(aws, "proj-data", 1) if s["Sid"] == "sam-layers-public"]
    assert [(s["Principal"], "OrganizationId" in s) for s in public] == [("*", False)]


def test_ssm_parameter_holds_the_version_arn(aws: Aws, tmp_path: Path) -> None:
    data = layer_zip(tmp_path / "DataLayer.zip", b"ssm v1")
    item = make_item(data, runtime="python3.11", architecture="arm64")
    options = PublishOptions(regions=(US,), ssm_prefix="/sam-layers")
    name = "/sam-layers/proj-data/arm64/python3.11"

    first = publish_layers([item], options)
    second = publish_layers([item], options)
    layer_zip(data, b"ssm v2")
    third = publish_layers([item], options)

    ssm = aws.client("ssm")
    parameter = ssm.get_parameter(Name=name)["Parameter"]
    assert (parameter["Type"], parameter["Value"]) == (
        "String", f"arn:aws:lambda:{US}:{ACCOUNT}:layer:proj-data:2")
    assert [(r.ssm_parameter, r.ssm_updated) for r in (first.results + second.results
                                                        + third.results)] == [
        (name, True), (name, False), (name, True)]
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [h["Value"].rsplit(":", 1)[1] for h in history] == ["1", "2"]


def test_keep_prunes_older_versions(aws: Aws, tmp_path: Path) -> None:
    data = layer_zip(tmp_path / "DataLayer.zip", b"keep 1")
    item = make_item(data)
    publish_layers([item], PublishOptions(regions=(US,)))
    layer_zip(data, b"keep 2")
    publish_layers([item], PublishOptions(regions=(US,)))
    layer_zip(data, b"keep 3")

    report = publish_layers([item], PublishOptions(regions=(US,), keep=2))
    unchanged = publish_layers([item], PublishOptions(regions=(US,), keep=1))

    assert (report.results[0].version, report.results[0].deleted_versions) == (3, (1,))
    assert (unchanged.results[0].status, unchanged.results[0].deleted_versions) == (
        "unchanged", (2,))
    assert aws.versions("proj-data") == [3]


def test_two_regions_in_parallel_and_manifest(aws: Aws, tmp_path: Path) -> None:
    item = make_item(layer_zip(tmp_path / "DataLayer.zip", b"regions"))
    manifest = tmp_path / "out" / "layers.json"

    report = publish_layers([item], PublishOptions(regions=(US, EU), ssm_prefix="/team/layers",
                                                   manifest_path=manifest))

    assert [(r.region, r.status, r.version_arn) for r in report.results] == [
        (US, "published", f"arn:aws:lambda:{US}:{ACCOUNT}:layer:proj-data:1"),
        (EU, "published", f"arn:aws:lambda:{EU}:{ACCOUNT}:layer:proj-data:1")]
    assert aws.versions("proj-data", US) == [1]
    assert aws.versions("proj-data", EU) == [1]
    assert aws.client("ssm", EU).get_parameter(
        Name="/team/layers/proj-data/x86_64/python3.12")["Parameter"]["Value"] == (
        f"arn:aws:lambda:{EU}:{ACCOUNT}:layer:proj-data:1")
    document = json.loads(manifest.read_text())
    assert [(e["region"], e["version"], e["ssm_parameter"]) for e in document["layers"]] == [
        (EU, 1, "/team/layers/proj-data/x86_64/python3.12"),
        (US, 1, "/team/layers/proj-data/x86_64/python3.12")]

    # A later run over one region keeps the other region's entry.
    publish_layers([item], PublishOptions(regions=(US,), manifest_path=manifest))
    assert [e["region"] for e in json.loads(manifest.read_text())["layers"]] == [EU, US]


def test_big_zip_goes_through_s3_by_content_hash(aws: Aws, big_zip: Path,
                                                 tmp_path: Path) -> None:
    aws.create_bucket("team-layers")
    item = make_item(big_zip, name="proj-big")
    small = make_item(layer_zip(tmp_path / "DataLayer.zip", b"small"))
    digest = hashlib.sha256(big_zip.read_bytes()).hexdigest()
    options = PublishOptions(regions=(US,), s3_bucket="team-layers")

    first = publish_layers([item, small], options)
    second = publish_layers([item], options)

    assert (first.results[1].status, first.results[1].s3_uri) == ("published", None)

    key = f"sam-layers/proj-big/{digest}.zip"
    assert (first.results[0].status, first.results[0].s3_uri, first.results[0].error) == (
        "published", f"s3://team-layers/{key}", None)
    head = aws.client("s3").head_object(Bucket="team-layers", Key=key)
    assert head["ContentLength"] == big_zip.stat().st_size
    stored = aws.client("lambda").get_layer_version(LayerName="proj-big", VersionNumber=1)
    assert stored["Content"]["CodeSha256"] == b64sha(big_zip)
    assert stored["Content"]["CodeSize"] == big_zip.stat().st_size
    assert (second.results[0].status, second.results[0].s3_uri) == ("unchanged", None)


def test_big_zip_without_bucket_is_bad_input_before_any_call(aws: Aws, big_zip: Path,
                                                             tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    real = default_client_factory()

    def factory(service: str, region: str) -> Any:
        calls.append((service, region))
        return real(service, region)

    small = make_item(layer_zip(tmp_path / "DataLayer.zip", b"small"))
    with pytest.raises(BadInput) as err:
        publish_layers([small, make_item(big_zip, name="proj-big")],
                       PublishOptions(regions=(US,)), client_factory=factory)

    size = big_zip.stat().st_size
    assert [str(p) for p in err.value.problems] == [
        f"{big_zip}: layer proj-big: zip is {size:,} bytes, over Lambda's 52,428,800-byte limit "
        "for a direct upload: pass --s3-bucket BUCKET (in the layer's region; '{region}' in the "
        "name is replaced by each region)"]
    assert calls == []
    assert aws.client("lambda").list_layers()["Layers"] == []


def test_failure_in_one_region_is_reported_with_it_and_hides_nothing(aws: Aws,
                                                                    big_zip: Path) -> None:
    aws.create_bucket("layers-us-east-1")  # none for eu-west-1
    item = make_item(big_zip, name="proj-big")

    report = publish_layers([item], PublishOptions(regions=(US, EU), s3_bucket="layers-{region}"))

    us, eu = report.results
    assert (us.region, us.status, us.version, us.error) == (US, "published", 1, None)
    assert (eu.region, eu.status, eu.version) == (EU, "failed", None)
    assert eu.error is not None and eu.error.startswith(f"{EU}: proj-big: ")
    assert "NoSuchBucket" in eu.error
    assert not report.ok
    assert report.errors == (eu.error,)
    assert report.summary() == "1 new layer version(s), 0 unchanged, 1 error(s)"
    assert aws.versions("proj-big", US) == [1]


def test_denied_calls_are_reported_per_region(aws: Aws, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    iam = aws.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="nothing", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    item = make_item(layer_zip(tmp_path / "DataLayer.zip", b"denied"))
    aws.set_auth("0")  # enforce IAM from now on (reset to "inf" by the fixture)

    report = publish_layers([item], PublishOptions(regions=(US, EU)))

    aws.set_auth("inf")
    assert [(r.region, r.status, r.version) for r in report.results] == [
        (US, "failed", None), (EU, "failed", None)]
    for r in report.results:
        assert r.error is not None
        region, layer, operation, code = r.error.split(": ")[:4]
        # moto answers 403 with AccessDeniedException, or (moto 5.x, GET on Lambda's REST
        # paths) SignatureDoesNotMatch: both are the server refusing the call.
        assert (region, layer, operation) == (r.region, "proj-data", "ListLayerVersions")
        assert code in ("AccessDeniedException", "SignatureDoesNotMatch")
    assert aws.client("lambda").list_layers()["Layers"] == []
