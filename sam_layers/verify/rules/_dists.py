"""Which distributions each of a function's layers holds, in Lambda's layer order."""

from __future__ import annotations

from sam_layers.plan import FunctionPlan
from sam_layers.verify.context import Context
from sam_layers.verify.scan import Distribution


def placements(ctx: Context, fn: FunctionPlan) -> dict[str, list[tuple[str, Distribution]]]:
    """Canonical name -> [(layer, distribution)] in layer order (later entries win on Lambda)."""
    found: dict[str, list[tuple[str, Distribution]]] = {}
    for layer in ctx.layers_of(fn):
        if layer.scan is None:
            continue
        for dist in layer.scan.distributions:
            found.setdefault(dist.key, []).append((layer.name, dist))
    return found
