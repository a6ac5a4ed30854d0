"""What the verify rules read: the plan, where each layer was built, and each function's code.

:class:`VerifyInput` is built by :func:`find_builds` from a project folder (the latest of
``.sam-layers/build/<LogicalId>`` and ``.aws-sam/build/<LogicalId>``), or directly by tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from sam_layers.plan import FunctionPlan, LayerRef, Plan

SAM_LAYERS_BUILD = Path(".sam-layers") / "build"
SAM_BUILD = Path(".aws-sam") / "build"

# `!Ref X` as the plan prints it, or the JSON form {"Ref": "X"}.
_REF = re.compile(r"^!Ref\s+([A-Za-z0-9]+)$"
                  r"|^\{\s*['\"]?Ref['\"]?\s*:\s*['\"]?([A-Za-z0-9]+)['\"]?\s*\}$")


@dataclass(frozen=True)
class BuiltLayer:
    """A built layer: ``path`` holds ``python/`` (what Lambda unpacks into ``/opt``)."""

    logical_id: str
    path: Path
    zip_path: Optional[Path] = None
    content_key: Optional[str] = None  # the builder's key for this content, when it has one


@dataclass(frozen=True)
class VerifyInput:
    plan: Plan
    layers: Mapping[str, BuiltLayer] = field(default_factory=dict)  # logical id -> build
    code_dirs: Mapping[str, Path] = field(default_factory=dict)  # function logical id -> code


def layer_key(ref: LayerRef) -> Optional[str]:
    """The logical id a layer reference points at in this template (generated or ``!Ref X``)."""
    if ref.generated:
        return ref.generated
    m = _REF.match(ref.text.strip())
    if m:
        return m.group(1) or m.group(2)
    return None


def layer_location(fn: FunctionPlan) -> str:
    return f"Resources/{fn.logical_id}/Layers"


def find_builds(plan: Plan, template_dir: Path) -> VerifyInput:
    """Find the newest build of every layer the plan's functions use, and each function's code."""
    template_dir = template_dir.resolve()
    wanted: set[str] = {v.logical_id for v in plan.variants}
    for fn in plan.functions:
        for ref in fn.layers:
            key = layer_key(ref)
            if key:
                wanted.add(key)
    layers: dict[str, BuiltLayer] = {}
    for logical_id in sorted(wanted):
        built = _newest_build(template_dir, logical_id)
        if built is not None:
            layers[logical_id] = built
    code_dirs: dict[str, Path] = {}
    for fn in plan.functions:
        artifact = template_dir / SAM_BUILD / fn.logical_id
        if artifact.is_dir():
            code_dirs[fn.logical_id] = artifact
        elif fn.code_uri:
            source = template_dir / fn.code_uri
            if source.is_dir():
                code_dirs[fn.logical_id] = source
    return VerifyInput(plan, layers, code_dirs)


def _newest_build(template_dir: Path, logical_id: str) -> Optional[BuiltLayer]:
    candidates: list[tuple[float, BuiltLayer]] = []
    own = template_dir / SAM_LAYERS_BUILD / logical_id
    own_zip = template_dir / SAM_LAYERS_BUILD / f"{logical_id}.zip"
    for folder, zip_path in ((own, own_zip if own_zip.is_file() else None),
                             (template_dir / SAM_BUILD / logical_id, None)):
        python = folder / "python"
        if python.is_dir():
            stamp = max(folder.stat().st_mtime, python.stat().st_mtime)
            candidates.append((stamp, BuiltLayer(logical_id, folder, zip_path)))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0], reverse=True)
    return candidates[0][1]
