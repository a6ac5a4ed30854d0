"""SL009: one distribution at one version in two layers of a function (its size counted twice)."""

from __future__ import annotations

from typing import Iterator

from sam_layers.findings import Finding, Severity
from sam_layers.verify.context import Context
from sam_layers.verify.model import layer_location
from sam_layers.verify.rules._dists import placements

ID = "SL009"
SEVERITY: Severity = "info"
TITLE = "one distribution in several of a function's layers"


def check(ctx: Context) -> Iterator[Finding]:
    for fn in ctx.inputs.plan.functions:
        for _, where in sorted(placements(ctx, fn).items()):
            if len(where) < 2 or len({d.version for _, d in where}) != 1:
                continue
            dist = where[-1][1]
            layers = " and ".join(layer for layer, _ in where)
            yield Finding(
                ID, SEVERITY, layer_location(fn),
                f"{dist.name} {dist.version} is in {layers}: it counts toward "
                f"{fn.logical_id}'s unzipped size once per layer. Keep it in one group if the "
                f"size matters.")
