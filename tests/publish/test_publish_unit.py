"""Validation, naming and error wording of sam_layers.publish: no endpoint, no calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sam_layers.errors import BadInput
from sam_layers.plan import LayerVariant
from sam_layers.platforms import Target
from sam_layers.publish import (
    Grant,
    PublishItem,
    PublishOptions,
    default_client_factory,
    default_description,
    describe_error,
    grants,
    items_for_variants,
    published_layer_name,
    publish_layers,
    ssm_parameter_name,
)
from sam_layers.spec import LayerSpec
from tests.publish.helpers import layer_zip, make_item


def variant(group: str = "Data", suffix: str = "", layer_name: str | None = None,
            runtime: str = "python3.12", arch: str = "x86_64",
            requirements: tuple[str, ...] = ("pandas==2.2.3",)) -> LayerVariant:
    target = Target(runtime, arch)
    logical = f"{group}Layer" + "".join(p.capitalize() for p in suffix.split("-") if p)
    return LayerVariant(logical_id=logical, group=group, target=target, suffix=suffix,
                        spec=LayerSpec(group, target, requirements, logical_id=logical),
                        layer_name=layer_name)


def never_called(service: str, region: str) -> Any:
    raise AssertionError(f"client made for {service} in {region}")


@pytest.mark.parametrize("v,prefix,expected", [
    (variant(), "orders", "orders-data"),
    (variant(suffix="python311-arm64"), "orders", "orders-data-python311-arm64"),
    (variant(group="ML"), "My Team.App", "my-team-app-ml"),
    (variant(), "--weird__", "weird__-data"),
    (variant(layer_name="SharedPandas"), "orders", "SharedPandas"),
    (variant(layer_name="SharedPandas", suffix="arm64"), "orders", "SharedPandas-arm64"),
    (variant(group="Web"), "", "web"),
])
def test_published_layer_name(v: LayerVariant, prefix: str, expected: str) -> None:
    assert published_layer_name(v, prefix) == expected


def test_long_names_are_cut_to_lambdas_limit_with_a_hash() -> None:
    name = published_layer_name(variant(suffix="python311-arm64"), "p" * 150)
    assert len(name) == 140
    assert name.startswith("p" * 131 + "-")
    assert name == published_layer_name(variant(suffix="python311-arm64"), "p" * 150)
    assert name != published_layer_name(variant(suffix="python312-arm64"), "p" * 150)


def test_layer_name_with_an_intrinsic_cannot_be_published() -> None:
    with pytest.raises(BadInput) as err:
        published_layer_name(variant(layer_name="${AWS::StackName}-data"), "orders")
    assert str(err.value) == (
        "group Data: LayerName '${AWS::StackName}-data' cannot be published as "
        "'${AWS::StackName}-data': use 1-140 letters, digits, '-' or '_' in all (no intrinsic "
        "functions), or drop it and use --name-prefix")


def test_items_for_variants_point_at_the_built_zips(tmp_path: Path) -> None:
    v = variant(suffix="python311-arm64", runtime="python3.11", arch="arm64")
    (item,) = items_for_variants([v], tmp_path / "build", "orders",
                                 licenses={"Data": "Apache-2.0"})
    assert item == PublishItem(
        layer_name="orders-data-python311-arm64",
        zip_path=tmp_path / "build" / "DataLayerPython311Arm64.zip",
        runtimes=("python3.11",), architectures=("arm64",),
        description=default_description(v), license_info="Apache-2.0", group="Data",
        runtime="python3.11", architecture="arm64")
    assert default_description(v).startswith("sam-layers Data: pandas==2.2.3 (")


def test_default_description_fits_lambdas_256() -> None:
    v = variant(requirements=tuple(f"package-number-{i}==1.0" for i in range(40)))
    text = default_description(v)
    assert len(text) <= 256
    assert text.startswith("sam-layers Data: package-number-0==1.0, ")
    assert "..." in text


def test_every_bad_option_is_reported_at_once_before_any_call(tmp_path: Path) -> None:
    item = make_item(layer_zip(tmp_path / "DataLayer.zip", b"x"))
    options = PublishOptions(regions=("us-east-1", "US-EAST-1", "moon"),
                             share_accounts=("12345", "123456789012"), share_org="o-ABC",
                             keep=0, ssm_prefix="sam-layers", s3_bucket="Bad_Bucket")
    with pytest.raises(BadInput) as err:
        publish_layers([item], options, client_factory=never_called)
    assert [str(p) for p in err.value.problems] == [
        "'US-EAST-1' is not an AWS region name (like us-east-1)",
        "'moon' is not an AWS region name (like us-east-1)",
        "'12345' is not an AWS account id (12 digits)",
        "'o-ABC' is not an AWS Organizations id ('o-' and 10-32 lowercase letters or digits)",
        "--keep 0: keep at least 1 version",
        "SSM prefix 'sam-layers' must look like /sam-layers or /team/layers (letters, digits, "
        "'_', '.', '-' between slashes)",
        "'Bad_Bucket' is not an S3 bucket name (3-63 lowercase letters, digits, '.', '-'; "
        "'{region}' allowed)",
    ]


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-7",
                                    "cn-north-1", "il-central-1"])
def test_real_region_names_pass(region: str, tmp_path: Path) -> None:
    item = make_item(tmp_path / "missing.zip")
    with pytest.raises(BadInput) as err:  # only the missing zip is wrong
        publish_layers([item], PublishOptions(regions=(region,)), client_factory=never_called)
    assert [p.message for p in err.value.problems] == [
        "no built zip here: run `sam-layers build --no-sam` first"]


@pytest.mark.parametrize("prefix,message", [
    ("/aws/layers", "SSM prefix '/aws/layers': names starting with 'aws' or 'ssm' are reserved"),
    ("/" + "/".join("abcdefghijklm"), "SSM prefix '/a/b/c/d/e/f/g/h/i/j/k/l/m' is too deep: "
     "Parameter Store allows 15 levels and sam-layers adds 3"),
    ("/a b", "SSM prefix '/a b' must look like /sam-layers or /team/layers (letters, digits, "
     "'_', '.', '-' between slashes)"),
])
def test_bad_ssm_prefixes(prefix: str, message: str, tmp_path: Path) -> None:
    item = make_item(layer_zip(tmp_path / "DataLayer.zip", b"x"))
    with pytest.raises(BadInput) as err:
        publish_layers([item], PublishOptions(regions=("us-east-1",), ssm_prefix=prefix),
                       client_factory=never_called)
    assert [str(p) for p in err.value.problems] == [message]


def test_two_variants_with_one_name_are_refused(tmp_path: Path) -> None:
    a = make_item(layer_zip(tmp_path / "A.zip", b"a"), name="same")
    b = make_item(layer_zip(tmp_path / "B.zip", b"b"), name="same")
    with pytest.raises(BadInput) as err:
        publish_layers([a, b], PublishOptions(regions=("us-east-1",)), client_factory=never_called)
    assert [str(p) for p in err.value.problems] == [
        "layer same: two layer variants would publish under the same name (A.zip, B.zip)"]


def test_grants_have_statement_ids_from_the_principal_alone() -> None:
    options = PublishOptions(regions=("us-east-1",), share_accounts=("111122223333",) * 2,
                             share_org="o-abcdef1234", public=True)
    assert grants(options) == (
        Grant("sam-layers-account-111122223333", "111122223333"),
        Grant("sam-layers-org-o-abcdef1234", "*", "o-abcdef1234"),
        Grant("sam-layers-public", "*"),
    )
    assert grants(PublishOptions(regions=("us-east-1",))) == ()


def test_ssm_parameter_name() -> None:
    item = make_item(Path("x.zip"), name="orders-data", runtime="python3.13", architecture="arm64")
    assert ssm_parameter_name("/sam-layers/", item) == "/sam-layers/orders-data/arm64/python3.13"


def test_describe_error_reads_json_and_xml_error_bodies() -> None:
    json_error = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                             "PublishLayerVersion")
    xml_error = ClientError({"Error": {"Code": "403", "Message": (
        '<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code>'
        "<Message>User: u is not authorized</Message></Error></Errors></ErrorResponse>")}},
        "PutParameter")
    assert describe_error(json_error) == "PublishLayerVersion: AccessDeniedException: no"
    assert describe_error(xml_error) == "PutParameter: AccessDenied: User: u is not authorized"


def test_default_clients_retry_throttling_unless_the_user_chose(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    for name in ("AWS_PROFILE", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        monkeypatch.delenv(name, raising=False)
    ours = default_client_factory(retry_mode="adaptive", max_attempts=7)("lambda", "eu-west-1")
    assert ours.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 7}
    assert ours.meta.region_name == "eu-west-1"

    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    theirs = default_client_factory()("lambda", "eu-west-1")
    assert theirs.meta.config.retries["total_max_attempts"] == 3  # botocore read the env
