"""The public SSM parameters AWS publishes for its own Python layers, by runtime and architecture.

A group source ``Managed: powertools | aws-sdk-pandas`` becomes ``{{resolve:ssm:<name>}}``;
this module only knows the names, it makes no call.

Sources:
- Powertools for AWS Lambda (Python) v3 writes one parameter per architecture, runtime and
  release, plus a ``latest`` alias: ``/aws/service/powertools/python/<arch>/<runtime>/<version>``
  (https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/#using-ssm-parameter-store;
  the writer is ``.github/workflows/update_ssm.yml`` in aws-powertools/powertools-lambda-python,
  PR #5754, which writes python3.9 - python3.14 for x86_64 and arm64).
- AWS SDK for pandas writes ``/aws/service/aws-sdk-pandas/<version>/py<major.minor>/<arch>/layer-arn``
  (https://aws-sdk-pandas.readthedocs.io/en/stable/install.html#aws-lambda-layer, "Layer ARNs can
  also be obtained from SSM public parameters"; issue aws/aws-sdk-pandas#2434). It has no ``latest``
  alias, so a version is always part of the name. Its layer table
  (https://aws-sdk-pandas.readthedocs.io/en/stable/layers.html) lists, for 3.16.1, Python 3.10 - 3.14
  on x86_64 and arm64.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Mapping, Optional

from sam_layers.errors import BadInput, Problem

ManagedName = Literal["powertools", "aws-sdk-pandas"]


@dataclass(frozen=True)
class ManagedLayer:
    name: str
    runtimes: frozenset[str]
    architectures: frozenset[str]
    default_version: str  # used when the caller names no version
    docs: str


# The newest aws-sdk-pandas release whose layer table was read for this module; the pandas
# parameters are versioned, so upgrading means changing this pin (or passing ``version=``).
AWS_SDK_PANDAS_VERSION = "3.16.1"

MANAGED_LAYERS: Mapping[str, ManagedLayer] = {
    "powertools": ManagedLayer(
        name="powertools",
        runtimes=frozenset(f"python3.{m}" for m in range(9, 15)),
        architectures=frozenset({"x86_64", "arm64"}),
        default_version="latest",
        docs="https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/",
    ),
    "aws-sdk-pandas": ManagedLayer(
        name="aws-sdk-pandas",
        runtimes=frozenset(f"python3.{m}" for m in range(10, 15)),
        architectures=frozenset({"x86_64", "arm64"}),
        default_version=AWS_SDK_PANDAS_VERSION,
        docs="https://aws-sdk-pandas.readthedocs.io/en/stable/layers.html",
    ),
}

_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def managed_layer_parameter(
    name: ManagedName, runtime: str, architecture: str, version: Optional[str] = None
) -> str:
    """The public SSM parameter holding the layer version ARN of an AWS-managed layer.

    ``version`` is a release (``3.4.0``); Powertools also accepts ``latest`` (its default).
    Raises :class:`BadInput` for a layer, runtime, architecture or version AWS does not publish.
    """
    layer = MANAGED_LAYERS.get(name)
    where = f"Managed: {name}"
    if layer is None:
        raise BadInput(Problem(f"unknown managed layer; use one of {', '.join(sorted(MANAGED_LAYERS))}",
                               where=where))
    problems = []
    if runtime not in layer.runtimes:
        problems.append(Problem(
            f"AWS publishes no {name} layer for {runtime}; it has "
            f"{', '.join(sorted(layer.runtimes, key=_runtime_order))} (see {layer.docs})", where=where))
    if architecture not in layer.architectures:
        problems.append(Problem(
            f"AWS publishes no {name} layer for architecture {architecture!r}; it has "
            f"{', '.join(sorted(layer.architectures))}", where=where))
    chosen = version or layer.default_version
    if not (_VERSION.match(chosen) or (name == "powertools" and chosen == "latest")):
        accepted = "a release like 3.4.0" + (" or 'latest'" if name == "powertools" else "")
        problems.append(Problem(f"version {chosen!r} is not {accepted}", where=where))
    if problems:
        raise BadInput(problems)
    if name == "powertools":
        return f"/aws/service/powertools/python/{architecture}/{runtime}/{chosen}"
    py = runtime[len("python"):]
    return f"/aws/service/aws-sdk-pandas/{chosen}/py{py}/{architecture}/layer-arn"


def _runtime_order(runtime: str) -> tuple[int, ...]:
    return tuple(int(p) for p in runtime[len("python"):].split("."))
