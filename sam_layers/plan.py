"""Pure planning: template + config -> which layer variants exist and which function gets which.

No I/O here; :mod:`sam_layers.project` reads files and calls :func:`make_plan`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union, cast

from sam_layers.config import Config, GroupConfig, read_group_list
from sam_layers.document import intrinsic, line_of, ref_target, show, to_plain
from sam_layers.errors import BadInput, Problem, raise_if
from sam_layers.platforms import ARCHITECTURES, DEFAULT_ARCHITECTURE, MAX_LAYERS, RUNTIMES, Target
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
    # Every layer value an external group (Arn, Ssm, Managed) injects somewhere: a re-transform
    # removes these from Layers before attaching again.
    external_values: frozenset[str] = frozenset()

    def variant(self, logical_id: str) -> LayerVariant:
        for v in self.variants:
            if v.logical_id == logical_id:
                return v
        raise KeyError(logical_id)


# --- planning -------------------------------------------------------------------------------

SERVERLESS_TRANSFORM = "AWS::Serverless-2016-10-31"
FUNCTION_TYPE = "AWS::Serverless::Function"
LAYER_TYPE = "AWS::Serverless::LayerVersion"
_GLOBAL_KEYS = ("Runtime", "Architectures", "PackageType", "Layers", "CodeUri", "ImageUri")


def is_generated(resource: Any) -> bool:
    """Any resource sam-layers wrote: a layer, or a permission that shares one."""
    if is_generated_layer(resource):
        return True
    meta = resource.get("Metadata") if isinstance(resource, dict) else None
    marker = meta.get("SamLayers") if isinstance(meta, dict) else None
    return isinstance(marker, dict) and isinstance(marker.get("SharedLayer"), str)


def is_generated_layer(resource: Any) -> bool:
    """A layer resource sam-layers wrote (so a re-transform replaces it)."""
    if not isinstance(resource, dict) or resource.get("Type") != LAYER_TYPE:
        return False
    meta = resource.get("Metadata")
    marker = meta.get("SamLayers") if isinstance(meta, dict) else None
    return isinstance(marker, dict) and isinstance(marker.get("Group"), str)


def has_serverless_transform(template: Mapping[str, Any]) -> bool:
    value = template.get("Transform")
    values = value if isinstance(value, list) else [value]
    return any(v == SERVERLESS_TRANSFORM for v in values)


def function_globals(template: Mapping[str, Any]) -> Mapping[str, Any]:
    globals_ = template.get("Globals")
    fn = globals_.get("Function") if isinstance(globals_, dict) else None
    return fn if isinstance(fn, dict) else {}


def _ignored_globals(resource: Mapping[str, Any]) -> Union[bool, frozenset[str]]:
    value = resource.get("IgnoreGlobals")
    if value == "*":
        return True
    if isinstance(value, list):
        return frozenset(str(v) for v in value)
    return frozenset()


def effective_property(resource: Mapping[str, Any], props: Mapping[str, Any],
                       globals_: Mapping[str, Any], key: str) -> Any:
    """A scalar property as SAM merges it: the function's own value wins over Globals."""
    if key in props:
        return props[key]
    ignored = _ignored_globals(resource)
    if ignored is True or (isinstance(ignored, frozenset) and key in ignored):
        return None
    return globals_.get(key)


def globals_layers(resource: Mapping[str, Any], globals_: Mapping[str, Any]) -> Any:
    ignored = _ignored_globals(resource)
    if ignored is True or (isinstance(ignored, frozenset) and "Layers" in ignored):
        return None
    return globals_.get("Layers")


@dataclass(frozen=True)
class Eligibility:
    target: Optional[Target]
    reason: str = ""  # why not, when target is None
    fixable: bool = False  # an intrinsic the user could write as a literal


def function_eligibility(resource: Mapping[str, Any], globals_: Mapping[str, Any]) -> Eligibility:
    props = resource.get("Properties")
    if not isinstance(props, dict):
        props = {}
    package_type = effective_property(resource, props, globals_, "PackageType")
    image_uri = effective_property(resource, props, globals_, "ImageUri")
    if package_type == "Image" or (package_type is None and image_uri is not None
                                   and "InlineCode" not in props):
        return Eligibility(None, "it is an Image function (layers only apply to zip functions)")
    if package_type not in (None, "Zip"):
        return Eligibility(None, "its PackageType is not a plain 'Zip'")
    runtime = effective_property(resource, props, globals_, "Runtime")
    if runtime is None:
        return Eligibility(None, "it has no Runtime")
    if not isinstance(runtime, str):
        return Eligibility(None, "its Runtime is an intrinsic; set a literal python3.x runtime",
                           fixable=True)
    if runtime not in RUNTIMES:
        return Eligibility(None, f"its runtime {runtime} is not one sam-layers builds for "
                                 f"({', '.join(RUNTIMES)})")
    archs = effective_property(resource, props, globals_, "Architectures")
    arch = DEFAULT_ARCHITECTURE
    if archs is not None:
        if (not isinstance(archs, list) or len(archs) != 1 or not isinstance(archs[0], str)
                or archs[0] not in ARCHITECTURES):
            return Eligibility(None, "its Architectures is not a literal [x86_64] or [arm64], so "
                                     "sam-layers cannot tell which wheels to build",
                               fixable=True)
        arch = archs[0]
    return Eligibility(Target(runtime, arch))


def _layer_items(value: Any, generated: frozenset[str]) -> tuple[list[Any], str]:
    """The items of a Layers value without sam-layers' own, and its shape: list / if / none."""
    if value is None:
        return [], "none"
    found = intrinsic(value)
    if found is None and isinstance(value, list):
        return [v for v in value if ref_target(v) not in generated], "list"
    if found and found[0] == "Fn::If" and isinstance(found[1], list) and len(found[1]) == 3:
        branches = [b for b in found[1][1:] if isinstance(b, list) and intrinsic(b) is None]
        longest = max(branches, key=len) if branches else []
        return [v for v in longest if ref_target(v) not in generated], "if"
    return [], "other"


@dataclass
class _Planning:
    """What the three planning steps share: the template's parts and the problems found."""

    template_name: str
    resources: Mapping[str, Any]
    globals_: Mapping[str, Any]
    generated: frozenset[str]
    problems: list[Problem]
    warnings: list[Problem]

    def where(self, logical_id: Any) -> dict[str, Any]:
        return {"file": self.template_name, "line": line_of(self.resources, logical_id),
                "where": str(logical_id)}


def make_plan(template: Mapping[str, Any], config: Config,
              template_name: str = "template") -> tuple[Plan, list[Problem]]:
    """Decide the layer variants and each function's layers; returns the plan and warnings.

    Three steps: choose the functions (and their targets) that get groups, make one variant
    per (group, target) they need, then each function's layer list in Lambda's order.
    """
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        if config.groups:
            raise_if([Problem("the template has no Resources mapping", template_name)])
        return Plan((), ()), []
    ctx = _Planning(template_name, resources, function_globals(template),
                    frozenset(k for k, v in resources.items() if is_generated_layer(v)), [], [])
    chosen = _choose_functions(ctx, config)
    variants = _make_variants(ctx, config, chosen)
    by_key = {(v.group, v.target): v for v in variants}
    functions = [fn for fn in (_function_plan(ctx, config, logical_id, groups, target, by_key)
                               for logical_id, (groups, target) in chosen.items()) if fn]
    raise_if(ctx.problems)
    if variants and not has_serverless_transform(template):
        ctx.warnings.append(Problem(f"no 'Transform: {SERVERLESS_TRANSFORM}': add it before "
                                    "deploying (the generated layers are "
                                    "AWS::Serverless::LayerVersion)", template_name))
    external = frozenset(r.text for f in functions for r in f.layers
                         if r.source == "injected" and r.generated is None)
    external |= frozenset(external_value(g, None) for g in config.groups.values()
                          if g.source in ("Arn", "Ssm"))
    return Plan(tuple(variants), tuple(functions), external), ctx.warnings


def _choose_functions(ctx: _Planning, config: Config) -> dict[str, tuple[tuple[str, ...], Target]]:
    """Eligible functions that get groups (their own, else Default), with their targets."""
    chosen: dict[str, tuple[tuple[str, ...], Target]] = {}
    for logical_id, resource in ctx.resources.items():
        if not isinstance(resource, dict) or is_generated(resource):
            continue
        if str(logical_id).startswith("Fn::ForEach::"):
            if "SamLayers" in json_text(resource):
                ctx.warnings.append(Problem("resources inside Fn::ForEach are not transformed; "
                                            "list their layers by hand", **ctx.where(logical_id)))
            continue
        if resource.get("Type") != FUNCTION_TYPE:
            meta = resource.get("Metadata")
            if isinstance(meta, dict) and "SamLayers" in meta:
                ctx.warnings.append(Problem("Metadata.SamLayers is only read on "
                                            f"{FUNCTION_TYPE} resources; ignored",
                                            **ctx.where(logical_id)))
            continue
        named = _function_groups(logical_id, resource, config, ctx.template_name, ctx.problems)
        groups = named if named is not None else config.default
        if not groups:
            continue
        eligibility = function_eligibility(resource, ctx.globals_)
        if eligibility.target is None:
            # Named groups, or Default ones sam-layers cannot honour for a reason the user can
            # fix (an intrinsic Runtime or Architectures), are worth a warning.
            if named or eligibility.fixable:
                ctx.warnings.append(Problem(f"left untouched: {eligibility.reason}",
                                            **ctx.where(logical_id)))
            continue
        chosen[logical_id] = (groups, eligibility.target)
    return chosen


def _make_variants(ctx: _Planning, config: Config,
                   chosen: Mapping[str, tuple[tuple[str, ...], Target]]) -> list[LayerVariant]:
    """Per group, one variant for every target some function needs, named as DESIGN.md says."""
    variants: list[LayerVariant] = []
    for group_name, group in config.groups.items():
        if group.is_external:
            continue
        needed = sorted({t for gs, t in chosen.values() if group_name in gs},
                        key=lambda t: (RUNTIMES[t.runtime].python,
                                       t.architecture != DEFAULT_ARCHITECTURE))
        runtimes_vary = len({t.runtime for t in needed}) > 1
        archs_vary = len({t.architecture for t in needed}) > 1
        for target in needed:
            id_suffix, name_suffix = "", []
            if runtimes_vary:
                id_suffix += target.runtime.replace("python", "Python").replace(".", "")
                name_suffix.append(target.runtime.replace(".", ""))
            if archs_vary:
                id_suffix += ARCH_ID_SUFFIX[target.architecture]
                name_suffix.append(ARCH_NAME_SUFFIX[target.architecture])
            logical_id = f"{group_name}Layer{id_suffix}"
            existing = ctx.resources.get(logical_id)
            if existing is not None and not is_generated_layer(existing):
                ctx.problems.append(Problem(
                    f"the generated layer id {logical_id} is already a resource of the template;"
                    f" rename that resource or the group {group_name}", **ctx.where(logical_id)))
            spec = LayerSpec(group=group_name, target=target, requirements=group.requirements,
                             logical_id=logical_id, explicit=group.explicit)
            variants.append(LayerVariant(logical_id=logical_id, group=group_name, target=target,
                                         suffix="-".join(name_suffix), spec=spec,
                                         layer_name=group.layer_name))
    return variants


def _function_plan(ctx: _Planning, config: Config, logical_id: str, groups: tuple[str, ...],
                   target: Target, by_key: Mapping[tuple[str, Target], LayerVariant],
                   ) -> Optional[FunctionPlan]:
    """One function's layers in Lambda's order (Globals, injected, its own), at most five."""
    resource = ctx.resources[logical_id]
    props = resource.get("Properties") if isinstance(resource.get("Properties"), dict) else {}
    try:
        attached = [_attachment(config.groups[g], target, by_key) for g in groups]
    except BadInput as exc:
        ctx.problems += [Problem(p.message, **ctx.where(logical_id)) for p in exc.problems]
        return None
    g_items, g_shape = _layer_items(globals_layers(resource, ctx.globals_), ctx.generated)
    own_items, own_shape = _layer_items(props.get("Layers"), ctx.generated)
    if own_shape == "other":
        ctx.problems.append(Problem("Layers is an intrinsic other than a whole-value !If; write "
                                    "it as a list so sam-layers can add its layers",
                                    **ctx.where(logical_id)))
        return None
    if g_shape == "other":
        ctx.problems.append(Problem("Globals.Function.Layers is an intrinsic sam-layers cannot "
                                    "count; write it as a list", ctx.template_name,
                                    where=str(logical_id)))
        return None
    refs = ([LayerRef(show(v), None, "globals") for v in g_items]
            + attached
            + [LayerRef(show(v), None, "function") for v in own_items])
    if len(refs) > MAX_LAYERS:
        listing = ", ".join(r.text for r in refs)
        ctx.problems.append(Problem(
            f"would have {len(refs)} layers, more than Lambda's {MAX_LAYERS} ({listing}); "
            "merge groups or drop a layer", **ctx.where(logical_id)))
        return None
    code_uri = props.get("CodeUri")
    if code_uri is None and "InlineCode" not in props:
        code_uri = effective_property(resource, props, ctx.globals_, "CodeUri")
    local = code_uri if isinstance(code_uri, str) and not code_uri.startswith(
        ("s3://", "https://", "http://")) else None
    return FunctionPlan(logical_id=logical_id, target=target, groups=groups,
                        injected=tuple(r.generated for r in attached if r.generated),
                        layers=tuple(refs), code_uri=local)


ARCH_ID_SUFFIX = {"x86_64": "X86", "arm64": "Arm64"}
ARCH_NAME_SUFFIX = {"x86_64": "x86", "arm64": "arm64"}


def json_text(node: Any) -> str:
    return json.dumps(to_plain(node), default=str)


def _function_groups(logical_id: Any, resource: Mapping[str, Any], config: Config,
                     template_name: str, problems: list[Problem]) -> Optional[tuple[str, ...]]:
    meta = resource.get("Metadata")
    if not isinstance(meta, dict) or "SamLayers" not in meta:
        return None
    return read_group_list(meta["SamLayers"], config.groups, template_name,
                           line_of(meta, "SamLayers"), f"{logical_id} Metadata.SamLayers",
                           problems)


def external_value(group: GroupConfig, target: Optional[Target]) -> str:
    """What a function's Layers lists for an external group: an ARN or an SSM dynamic reference."""
    assert group.external is not None
    if group.source == "Arn":
        return group.external
    if group.source == "Ssm":
        return "{{resolve:ssm:" + group.external + "}}"
    from sam_layers.managed import ManagedName, managed_layer_parameter

    assert target is not None
    managed = cast(ManagedName, group.external)
    name = managed_layer_parameter(managed, target.runtime, target.architecture)
    return "{{resolve:ssm:" + name + "}}"


def _attachment(group: GroupConfig, target: Target,
                by_key: Mapping[tuple[str, Target], LayerVariant]) -> LayerRef:
    if group.is_external:
        return LayerRef(external_value(group, target), None, "injected")
    logical_id = by_key[(group.name, target)].logical_id
    return LayerRef(logical_id, logical_id, "injected")
