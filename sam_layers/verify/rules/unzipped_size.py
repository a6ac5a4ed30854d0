"""SL002: function code + all its layers, unzipped, at or above 262,144,000 bytes.

Error when the known part alone reaches the limit; a warning when some part's size is unknown
(an external layer by ARN, a layer or code that is not built here), never silence.
"""

from __future__ import annotations

from typing import Iterator, Optional

from sam_layers.findings import Finding, Severity
from sam_layers.platforms import MAX_UNZIPPED_BYTES
from sam_layers.verify.context import Context
from sam_layers.verify.model import layer_location

ID = "SL002"
SEVERITY: Severity = "error"
TITLE = "function code and its layers over Lambda's unzipped size limit"


def check(ctx: Context) -> Iterator[Finding]:
    for fn in ctx.inputs.plan.functions:
        parts: list[tuple[str, Optional[int]]] = [
            ("code", ctx.code_sizes.get(fn.logical_id))]
        for layer in ctx.layers_of(fn):
            parts.append((layer.name, layer.scan.unzipped_bytes if layer.scan else None))
        known = sum(n for _, n in parts if n is not None)
        unknown = [name for name, n in parts if n is None]
        if known >= MAX_UNZIPPED_BYTES:
            biggest = sorted((p for p in parts if p[1]), key=lambda p: -(p[1] or 0))
            listing = ", ".join(f"{name} {n:,}" for name, n in biggest)
            shared = _shared_distributions(ctx, fn.logical_id)
            hint = (f" {', '.join(shared)} {'is' if len(shared) == 1 else 'are'} in more than "
                    f"one of its layers and counted each time: keep each in one group."
                    if shared else "")
            yield Finding(
                ID, SEVERITY, layer_location(fn),
                f"{fn.logical_id}'s code and layers unzip to {known:,} bytes ({listing}); "
                f"Lambda's limit is under {MAX_UNZIPPED_BYTES:,} bytes and the deploy fails."
                f"{hint} Split the function's dependencies across functions, drop unused "
                f"packages, or use a container image function (10 GB).")
        elif unknown:
            yield Finding(
                ID, "warning", layer_location(fn),
                f"size unknown for {', '.join(_describe(u) for u in unknown)}: the known part "
                f"of {fn.logical_id} is {known:,} of {MAX_UNZIPPED_BYTES:,} bytes unzipped. "
                f"Check the rest fits (aws lambda get-layer-version shows a layer's CodeSize), "
                f"or build the missing parts first.")


def _describe(name: str) -> str:
    return "the function code" if name == "code" else name


def _shared_distributions(ctx: Context, fn_id: str) -> list[str]:
    fn = next(f for f in ctx.inputs.plan.functions if f.logical_id == fn_id)
    seen: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for layer in ctx.layers_of(fn):
        if layer.scan is None:
            continue
        for dist in layer.scan.distributions:
            seen.setdefault(dist.key, set()).add(layer.name)
            names.setdefault(dist.key, dist.name)
    return sorted(names[k] for k, where in seen.items() if len(where) > 1)
