"""SL007: one distribution at different versions in two layers of one function.

Lambda extracts a function's layers into ``/opt`` one after another, in the function's order,
later ones overwriting files of earlier ones: there is one ``/opt/python``, so the later
layer's copy wins file by file, and files only the earlier version has stay behind.
"""

from __future__ import annotations

from typing import Iterator

from sam_layers.findings import Finding, Severity
from sam_layers.verify.context import Context
from sam_layers.verify.model import layer_location
from sam_layers.verify.rules._dists import placements

ID = "SL007"
SEVERITY: Severity = "error"
TITLE = "one distribution at different versions in a function's layers"


def check(ctx: Context) -> Iterator[Finding]:
    for fn in ctx.inputs.plan.functions:
        for _, where in sorted(placements(ctx, fn).items()):
            if len({d.version for _, d in where}) < 2:
                continue
            winner_layer, winner = where[-1]
            listing = ", ".join(f"{d.version} in {layer}" for layer, d in where)
            yield Finding(
                ID, SEVERITY, layer_location(fn),
                f"{winner.name} is in {fn.logical_id}'s layers at different versions ({listing}): "
                f"Lambda extracts layers into /opt in order, so {winner_layer} (later) wins and "
                f"its {winner.name} {winner.version} overwrites the earlier one's files, leaving "
                f"a mix of both versions behind. Pin one version of {winner.name} in every "
                f"group this function uses, or keep it in one group.")
