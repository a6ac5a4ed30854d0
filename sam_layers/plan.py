"""Pure planning: template + config -> which layer variants exist and which function gets which.

No I/O here; :mod:`sam_layers.project` reads files and calls :func:`make_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sam_layers.platforms import Target
from sam_layers.spec import LayerSpec


@dataclass(frozen=True)
class LayerRef:
    """One entry of a function's effective layer list, in Lambda's order.

    ``generated`` is the logical id of a layer sam-layers generates; otherwise ``text`` is a
    readable form of what the template lists (an ARN, ``!Ref Other``, ``{{resolve:ssm:...}}``).
    """

    text: str
    generated: Optional[str] = None
    source: str = "function"  # "globals" | "function" | "injected"


@dataclass(frozen=True)
class LayerVariant:
    """One generated ``AWS::Serverless::LayerVersion``."""

    logical_id: str  # DataLayer, DataLayerPython311Arm64
    group: str
    target: Target
    suffix: str  # "" or "python311-arm64": the variant part of layer names
    spec: LayerSpec
    layer_name: Optional[str] = None  # the group's own LayerName, when it sets one


@dataclass(frozen=True)
class FunctionPlan:
    logical_id: str
    target: Target
    groups: tuple[str, ...]
    injected: tuple[str, ...]  # logical ids of generated layers, in group order
    layers: tuple[LayerRef, ...]  # effective order on Lambda: Globals, injected, own
    code_uri: Optional[str] = None  # local CodeUri, relative to the template, when it is one


@dataclass(frozen=True)
class Plan:
    variants: tuple[LayerVariant, ...]
    functions: tuple[FunctionPlan, ...]

    def variant(self, logical_id: str) -> LayerVariant:
        for v in self.variants:
            if v.logical_id == logical_id:
                return v
        raise KeyError(logical_id)
