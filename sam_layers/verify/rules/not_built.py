"""SL010: a generated layer a function uses has no build to verify."""

from __future__ import annotations

from typing import Iterator

from sam_layers.findings import Finding, Severity
from sam_layers.verify.context import Context

ID = "SL010"
SEVERITY: Severity = "error"
TITLE = "generated layer not built"


def check(ctx: Context) -> Iterator[Finding]:
    used: dict[str, list[str]] = {}
    for fn in ctx.inputs.plan.functions:
        for ref in fn.layers:
            if ref.generated:
                used.setdefault(ref.generated, []).append(fn.logical_id)
    for layer_id in sorted(used):
        if layer_id in ctx.inputs.layers:
            continue
        yield Finding(
            ID, SEVERITY, f"Resources/{layer_id}",
            f"{layer_id} (used by {', '.join(sorted(set(used[layer_id])))}) has no build in "
            f".sam-layers/build/{layer_id} or .aws-sam/build/{layer_id}: run sam-layers build "
            f"(or sam build) first, then verify.")
