"""The public SSM parameter names of AWS-managed layers (sam_layers.managed)."""

from __future__ import annotations

from typing import Optional

import pytest

from sam_layers.errors import BadInput
from sam_layers.managed import managed_layer_parameter


@pytest.mark.parametrize("name,runtime,arch,version,expected", [
    ("powertools", "python3.12", "x86_64", None,
     "/aws/service/powertools/python/x86_64/python3.12/latest"),
    ("powertools", "python3.9", "arm64", None,
     "/aws/service/powertools/python/arm64/python3.9/latest"),
    ("powertools", "python3.14", "arm64", "3.23.0",
     "/aws/service/powertools/python/arm64/python3.14/3.23.0"),
    ("aws-sdk-pandas", "python3.12", "x86_64", None,
     "/aws/service/aws-sdk-pandas/3.16.1/py3.12/x86_64/layer-arn"),
    ("aws-sdk-pandas", "python3.10", "arm64", "3.4.0",
     "/aws/service/aws-sdk-pandas/3.4.0/py3.10/arm64/layer-arn"),
])
def test_parameter_names(name: str, runtime: str, arch: str, version: Optional[str],
                         expected: str) -> None:
    assert managed_layer_parameter(name, runtime, arch, version) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("name,runtime,arch,version,messages", [
    ("aws-sdk-pandas", "python3.9", "x86_64", None, [
        "Managed: aws-sdk-pandas: AWS publishes no aws-sdk-pandas layer for python3.9; it has "
        "python3.10, python3.11, python3.12, python3.13, python3.14 "
        "(see https://aws-sdk-pandas.readthedocs.io/en/stable/layers.html)"]),
    ("powertools", "python3.8", "x86_64", None, [
        "Managed: powertools: AWS publishes no powertools layer for python3.8; it has "
        "python3.9, python3.10, python3.11, python3.12, python3.13, python3.14 "
        "(see https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/)"]),
    ("powertools", "python3.12", "aarch64", "v3", [
        "Managed: powertools: AWS publishes no powertools layer for architecture 'aarch64'; "
        "it has arm64, x86_64",
        "Managed: powertools: version 'v3' is not a release like 3.4.0 or 'latest'"]),
    ("aws-sdk-pandas", "python3.12", "x86_64", "latest", [
        "Managed: aws-sdk-pandas: version 'latest' is not a release like 3.4.0"]),
    ("numpy", "python3.12", "x86_64", None, [
        "Managed: numpy: unknown managed layer; use one of aws-sdk-pandas, powertools"]),
])
def test_combinations_aws_does_not_publish(name: str, runtime: str, arch: str,
                                           version: Optional[str], messages: list[str]) -> None:
    with pytest.raises(BadInput) as err:
        managed_layer_parameter(name, runtime, arch, version)  # type: ignore[arg-type]
    assert [str(p) for p in err.value.problems] == messages
