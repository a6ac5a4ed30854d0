"""Rendering for ``sam-layers plan`` and ``sam-layers verify``: terminal tables, Markdown, JSON.

Pure functions from the plan (and measured sizes, when the layers are built) or the findings
to text; the CLI prints what these return.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence

from sam_layers.findings import SEVERITIES, Finding, sort_findings
from sam_layers.plan import FunctionPlan, LayerRef, Plan
from sam_layers.platforms import MAX_LAYERS, MAX_UNZIPPED_BYTES


@dataclass(frozen=True)
class Sizes:
    """Unzipped bytes measured from builds: per layer logical id, per function (its code)."""

    layers: Mapping[str, int] = field(default_factory=dict)
    code: Mapping[str, int] = field(default_factory=dict)


# --- plan ------------------------------------------------------------------------------------

def plan_json(plan: Plan, sizes: Optional[Sizes] = None) -> dict[str, Any]:
    """The plan as data: what ``plan --json`` prints and the tables render."""
    return {
        "max_layers": MAX_LAYERS,
        "max_unzipped_bytes": MAX_UNZIPPED_BYTES,
        "functions": [_function_row(plan, fn, sizes) for fn in plan.functions],
        "layers": [
            {"logical_id": v.logical_id, "group": v.group, "runtime": v.target.runtime,
             "architecture": v.target.architecture, "requirements": list(v.spec.requirements),
             "unzipped_bytes": sizes.layers.get(v.logical_id) if sizes else None}
            for v in plan.variants
        ],
    }


def _ref_id(ref: LayerRef) -> Optional[str]:
    from sam_layers.verify.model import layer_key  # the one place that parses `!Ref X`

    return layer_key(ref)


def _function_row(plan: Plan, fn: FunctionPlan, sizes: Optional[Sizes]) -> dict[str, Any]:
    groups = {v.logical_id: v.group for v in plan.variants}
    layers: list[dict[str, Any]] = []
    for ref in fn.layers:
        key = _ref_id(ref)
        layers.append({
            "ref": ref.text,
            "logical_id": key,
            "generated": ref.generated is not None,
            "group": groups.get(ref.generated) if ref.generated else None,
            "source": ref.source,
            "unzipped_bytes": sizes.layers.get(key) if sizes and key else None,
        })
    code = sizes.code.get(fn.logical_id) if sizes else None
    unknown = [] if sizes is None else (
        ([] if code is not None else ["code"])
        + [layer["logical_id"] or layer["ref"] for layer in layers
           if layer["unzipped_bytes"] is None])
    known: Optional[int] = None
    if sizes is not None:
        known = (code or 0) + sum(layer["unzipped_bytes"] or 0 for layer in layers)
    return {
        "function": fn.logical_id,
        "runtime": fn.target.runtime,
        "architecture": fn.target.architecture,
        "groups": list(fn.groups),
        "layers": layers,
        "layer_count": len(fn.layers),
        "code_bytes": code,
        "unzipped_bytes": known,
        "unknown_sizes": unknown,
        "over_layer_limit": len(fn.layers) > MAX_LAYERS,
        "over_size_limit": known is not None and known >= MAX_UNZIPPED_BYTES,
    }


def _layer_label(layer: Mapping[str, Any], markdown: bool) -> str:
    name = layer["logical_id"] if layer["generated"] else layer["ref"]
    if markdown:
        name = f"`{name}`"
    notes = [layer["group"] if layer["group"] else
             {"globals": "Globals", "function": "own"}.get(layer["source"], layer["source"])]
    if layer["unzipped_bytes"] is not None:
        notes.append(_mb(layer["unzipped_bytes"]))
    return f"{name} ({', '.join(notes)})"


def _budget(row: Mapping[str, Any]) -> str:
    total = row["unzipped_bytes"]
    if total is None:
        return "not built"
    text = f"{total:,} ({100 * total / MAX_UNZIPPED_BYTES:.1f}%)"
    if row["unknown_sizes"]:
        text += f" + {len(row['unknown_sizes'])} unknown"
    if row["over_size_limit"]:
        text += " OVER"
    return text


def _count(row: Mapping[str, Any]) -> str:
    text = f"{row['layer_count']}/{MAX_LAYERS}"
    return text + " OVER" if row["over_layer_limit"] else text


_PLAN_HEADERS = ("FUNCTION", "RUNTIME/ARCH", "LAYERS (Lambda order)", "COUNT",
                 f"UNZIPPED / {MAX_UNZIPPED_BYTES:,}")


def render_plan_table(plan: Plan, sizes: Optional[Sizes] = None) -> str:
    data = plan_json(plan, sizes)
    rows: list[tuple[str, ...]] = []
    for row in data["functions"]:
        labels = [f"{i}. {_layer_label(layer, False)}" for i, layer in enumerate(row["layers"], 1)]
        first = labels[0] if labels else "(none)"
        rows.append((row["function"], f"{row['runtime']}/{row['architecture']}", first,
                     _count(row), _budget(row)))
        rows.extend(("", "", label, "", "") for label in labels[1:])
    if not rows:
        return "No functions use sam-layers groups or layers.\n"
    return _table(_PLAN_HEADERS, rows)


def render_plan_markdown(plan: Plan, sizes: Optional[Sizes] = None) -> str:
    data = plan_json(plan, sizes)
    headers = ("Function", "Runtime/arch", "Layers (Lambda order)", "Count",
               f"Unzipped / {MAX_UNZIPPED_BYTES:,}")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in data["functions"]:
        layers = "<br>".join(f"{i}. {_layer_label(layer, True)}"
                             for i, layer in enumerate(row["layers"], 1)) or "(none)"
        count, budget = _count(row), _budget(row)
        if row["over_layer_limit"]:
            count = f"**{count}**"
        if row["over_size_limit"]:
            budget = f"**{budget}**"
        cells = (f"`{row['function']}`", f"{row['runtime']}/{row['architecture']}", layers,
                 count, budget)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


# --- findings --------------------------------------------------------------------------------

def findings_json(findings: Iterable[Finding]) -> dict[str, Any]:
    ordered = sort_findings(findings)
    counts = {s: sum(1 for f in ordered if f.severity == s) for s in SEVERITIES}
    return {"ok": counts["error"] == 0, "counts": counts,
            "findings": [f.to_json() for f in ordered]}


def summary_line(findings: Sequence[Finding]) -> str:
    if not findings:
        return "no findings"
    parts = []
    for severity in SEVERITIES:
        n = sum(1 for f in findings if f.severity == severity)
        if n:
            noun = severity if severity == "info" or n == 1 else severity + "s"
            parts.append(f"{n} {noun}")
    return ", ".join(parts)


def render_findings(findings: Iterable[Finding], width: int = 100) -> str:
    """One row per finding (severity, id, location), its message wrapped beneath it."""
    ordered = sort_findings(findings)
    if not ordered:
        return "no findings\n"
    sev_w = max(len("SEVERITY"), *(len(f.severity) for f in ordered))
    id_w = max(len("ID"), *(len(f.id) for f in ordered))
    indent = " " * (sev_w + id_w + 4)
    lines = [f"{'SEVERITY':<{sev_w}}  {'ID':<{id_w}}  LOCATION"]
    for f in ordered:
        lines.append(f"{f.severity:<{sev_w}}  {f.id:<{id_w}}  {f.location}")
        lines.extend(textwrap.wrap(f.message, width=max(40, width), initial_indent=indent,
                                   subsequent_indent=indent, break_long_words=False,
                                   break_on_hyphens=False))
    lines.append(summary_line(ordered))
    return "\n".join(lines) + "\n"


# --- helpers ---------------------------------------------------------------------------------

def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in rows)
    return "\n".join(out) + "\n"
