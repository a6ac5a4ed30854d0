"""SL001: more than 5 layers on a function, Globals layers included."""

from __future__ import annotations

from typing import Iterator

from sam_layers.findings import Finding, Severity
from sam_layers.platforms import MAX_LAYERS
from sam_layers.verify.context import Context
from sam_layers.verify.model import layer_location

ID = "SL001"
SEVERITY: Severity = "error"
TITLE = f"more than {MAX_LAYERS} layers on a function"

_SOURCES = (("globals", "from Globals"), ("injected", "from sam-layers groups"),
            ("function", "of its own"))


def check(ctx: Context) -> Iterator[Finding]:
    for fn in ctx.inputs.plan.functions:
        count = len(fn.layers)
        if count <= MAX_LAYERS:
            continue
        parts = []
        for source, label in _SOURCES:
            n = sum(1 for ref in fn.layers if ref.source == source)
            if n:
                parts.append(f"{n} {label}")
        yield Finding(
            ID, SEVERITY, layer_location(fn),
            f"{fn.logical_id} has {count} layers ({', '.join(parts)}); Lambda allows "
            f"{MAX_LAYERS}, Globals layers included, and rejects the deploy. Merge groups "
            f"(one group can hold many packages) or remove {count - MAX_LAYERS} layer"
            f"{'s' if count - MAX_LAYERS > 1 else ''}.")
