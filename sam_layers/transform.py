"""Apply a plan to a template document, in a short explicit list of passes.

Passes, in order (each one screen, each edits the document in place):

1. ``rewrite_paths``      relative paths resolve from the output's folder
2. ``drop_stale_layers``  generated layers no function needs any more are removed
3. ``write_layers``       one ``AWS::Serverless::LayerVersion`` per variant, updated in place
4. ``attach_layers``      each function's ``Layers`` gets its ``!Ref``s, in group order, first
5. ``share_layers``       ``Metadata.SamLayers.Share``: a LayerVersionPermission per principal
6. ``export_layers``      ``Metadata.SamLayers.Outputs``: an exported output per layer ARN

Everything sam-layers writes is recognisable (``Metadata.SamLayers.Group`` on a layer; a ``Ref``
to such a layer in ``Layers``), so transforming an output again removes and rewrites exactly
the same nodes: the second run gives the same bytes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from sam_layers.config import Config, read_config
from sam_layers.document import Document, intrinsic, load, make_intrinsic, new_map, new_seq
from sam_layers.document import ref_target, to_plain
from sam_layers.edit import append_entry, delete_entry, insert_key, merge_into
from sam_layers.errors import BadInput, Problem
from sam_layers.lockfile import LockFile
from sam_layers.plan import FUNCTION_TYPE, FunctionPlan, LayerVariant, Plan, is_generated
from sam_layers.plan import is_generated_layer, make_plan
from sam_layers.spec import LayerSpec

WORK_DIR_NAME = ".sam-layers"
DESCRIPTION_LIMIT = 256  # Lambda's limit for a layer version's Description


@dataclass(frozen=True)
class TransformOptions:
    container: bool = False  # BuildMethod python3.X for `sam build --use-container`
    # The lock file's entries: a variant it holds fresh gets its locked digest in ``Lock:``.
    lock: Optional[LockFile] = None

    def locked_digest(self, spec: LayerSpec) -> Optional[str]:
        entry = self.lock.get(spec.key) if self.lock is not None else None
        if entry is None or entry.input_hash != spec.input_hash:
            return None
        return entry.digest


@dataclass(frozen=True)
class TransformResult:
    text: str
    document: Document
    config: Config
    plan: Plan
    warnings: tuple[Problem, ...]
    work_dir: Path  # where the generated layers' build folders go
    output_dir: Path
    changed: bool


def work_dir_for(template: Path, output: Optional[Path]) -> Path:
    """``.sam-layers`` is the output's own folder when so named, else a folder beside it."""
    base = (output or template).resolve().parent
    return base if base.name == WORK_DIR_NAME else base / WORK_DIR_NAME


def lock_hash(variant: LayerVariant, locked_digest: Optional[str]) -> str:
    payload = f"{variant.spec.input_hash}|{locked_digest or ''}"
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def transform_file(template: Path, output: Optional[Path] = None,
                   options: TransformOptions = TransformOptions(),
                   text: Optional[str] = None) -> TransformResult:
    """Read, plan and transform ``template``; nothing is written (see :mod:`sam_layers.project`)."""
    doc = load(template, text)
    config = read_config(doc.data, template)
    plan, warnings = make_plan(doc.data, config, str(template))
    output_dir = (output or template).resolve().parent
    work_dir = work_dir_for(template, output)
    ctx = _Context(doc, config, plan, options, template.resolve().parent, output_dir, work_dir,
                   _generated_layer_ids(doc.data, plan))
    for apply in PASSES:
        apply(ctx)
    text_out = doc.dump() if ctx.changed else doc.text
    return TransformResult(text_out, doc, config, plan, tuple(warnings), work_dir, output_dir,
                           ctx.changed)


def _generated_layer_ids(data: Any, plan: Plan) -> frozenset[str]:
    resources = data.get("Resources")
    found = {str(k) for k, v in resources.items() if is_generated_layer(v)} if isinstance(
        resources, dict) else set()
    return frozenset(found | {v.logical_id for v in plan.variants})


@dataclass
class _Context:
    doc: Document
    config: Config
    plan: Plan
    options: TransformOptions
    template_dir: Path
    output_dir: Path
    work_dir: Path
    # Logical ids of every layer sam-layers wrote or writes: the input's and the plan's, so
    # references to a layer that pass 2 removes are still recognised in pass 4.
    layer_ids: frozenset[str]
    changed: bool = False

    @property
    def resources(self) -> Any:
        return self.doc.data.get("Resources")

    @property
    def style(self) -> str:
        return self.doc.intrinsic_style()


# --- pass 1: paths ----------------------------------------------------------------------------

# Properties that hold local paths `sam build` / `sam package` read, by resource type.
PATH_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Serverless::Application": ("Location",),
    "AWS::Serverless::GraphQLApi": ("SchemaUri",),
    "AWS::Lambda::Function": ("Code",),
    "AWS::Lambda::LayerVersion": ("Content",),
    "AWS::CloudFormation::Stack": ("TemplateURL",),
    "AWS::StepFunctions::StateMachine": ("DefinitionS3Location",),
    "AWS::ApiGateway::RestApi": ("BodyS3Location",),
    "AWS::AppSync::GraphQLSchema": ("DefinitionS3Location",),
}


def _is_local_path(value: Any) -> bool:
    return (isinstance(value, str) and bool(value) and "://" not in value
            and not value.startswith(("/", "{{")) and not os.path.isabs(value))


def _relocate(ctx: _Context, value: str) -> str:
    moved = os.path.relpath(ctx.template_dir / value, ctx.output_dir)
    return Path(moved).as_posix()


def rewrite_paths(ctx: _Context) -> None:
    if ctx.template_dir == ctx.output_dir:
        return

    def fix(mapping: Any, key: str) -> None:
        if isinstance(mapping, dict) and _is_local_path(mapping.get(key)):
            mapping[key] = _relocate(ctx, mapping[key])
            ctx.changed = True

    resources = ctx.resources if isinstance(ctx.resources, dict) else {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or is_generated_layer(resource):
            continue
        props = resource.get("Properties")
        for key in PATH_PROPERTIES.get(str(resource.get("Type")), ()):
            fix(props, key)
        fix(resource.get("Metadata"), "DockerContext")
        if resource.get("Type") == "AWS::Serverless::GraphQLApi" and isinstance(props, dict):
            # Function code lives in Functions.<Name>.CodeUri and Resolvers.<Type>.<Field>.CodeUri.
            functions = props.get("Functions")
            for body in functions.values() if isinstance(functions, dict) else ():
                fix(body, "CodeUri")
            resolvers = props.get("Resolvers")
            for by_field in resolvers.values() if isinstance(resolvers, dict) else ():
                for body in by_field.values() if isinstance(by_field, dict) else ():
                    fix(body, "CodeUri")
    globals_ = ctx.doc.data.get("Globals")
    if isinstance(globals_, dict):
        for section, keys in (("Function", ("CodeUri",)), ("Api", ("DefinitionUri",)),
                              ("HttpApi", ("DefinitionUri",))):
            for key in keys:
                fix(globals_.get(section), key)
    metadata = ctx.doc.data.get("Metadata")
    sam_layers = metadata.get("SamLayers") if isinstance(metadata, dict) else None
    groups = sam_layers.get("Groups") if isinstance(sam_layers, dict) else None
    if isinstance(groups, dict):
        for body in groups.values():
            for key in ("Requirements", "Project"):
                fix(body, key)


# --- pass 2: stale layers ---------------------------------------------------------------------


def drop_stale_layers(ctx: _Context) -> None:
    resources = ctx.resources
    if not isinstance(resources, dict):
        return
    wanted = {v.logical_id for v in ctx.plan.variants} | set(_permissions(ctx))
    for logical_id in [k for k, v in resources.items() if is_generated(v)]:
        if logical_id not in wanted:
            delete_entry(resources, logical_id)
            ctx.changed = True


# --- pass 3: layer resources ------------------------------------------------------------------


def layer_description(variant: LayerVariant, options: TransformOptions) -> str:
    """The Description the transform gives ``variant`` (publish uses the same text)."""
    return describe(variant, lock_hash(variant, options.locked_digest(variant.spec)))


def describe(variant: LayerVariant, lock: str) -> str:
    """``sam-layers Data: pandas>=2.2, numpy>=2 (lock 1a2b3c4d5e6f)``, within Lambda's limit."""
    head, tail = f"sam-layers {variant.group}: ", f" (lock {lock})"
    room = DESCRIPTION_LIMIT - len(head) - len(tail)
    reqs = list(variant.spec.requirements)
    shown = ", ".join(reqs)
    if len(shown) > room:
        for count in range(len(reqs) - 1, -1, -1):
            more = f"+{len(reqs) - count} more"
            shown = ", ".join([*reqs[:count], more])
            if len(shown) <= room:
                break
    return head + shown + tail


def layer_resource(ctx: _Context, variant: LayerVariant) -> Any:
    style = ctx.style
    target = variant.target
    lock = lock_hash(variant, ctx.options.locked_digest(variant.spec))
    build_dir = ctx.work_dir / variant.logical_id
    content_uri = Path(os.path.relpath(build_dir, ctx.output_dir)).as_posix()
    if variant.layer_name:
        name: Any = variant.layer_name + (f"-{variant.suffix}" if variant.suffix else "")
    else:
        tail = "-".join(p for p in (variant.group.lower(), variant.suffix) if p)
        name = make_intrinsic("Fn::Sub", "${AWS::StackName}-" + tail, style)
    resource = new_map(style)
    resource["Type"] = "AWS::Serverless::LayerVersion"
    metadata = new_map(style)
    metadata["BuildMethod"] = target.runtime if ctx.options.container else "makefile"
    metadata["BuildArchitecture"] = target.architecture
    marker = new_map(style)
    marker["Group"] = variant.group
    marker["Lock"] = lock
    metadata["SamLayers"] = marker
    resource["Metadata"] = metadata
    props = new_map(style)
    props["LayerName"] = name
    props["Description"] = describe(variant, lock)
    props["ContentUri"] = content_uri
    props["CompatibleRuntimes"] = new_seq(style, [target.runtime], flow=True)
    props["CompatibleArchitectures"] = new_seq(style, [target.architecture], flow=True)
    group_license = ctx.config.groups[variant.group].license_info
    if group_license:
        props["LicenseInfo"] = group_license
    props["RetentionPolicy"] = "Retain"
    resource["Properties"] = props
    return resource


def write_layers(ctx: _Context) -> None:
    resources = ctx.resources
    for variant in ctx.plan.variants:
        fresh = layer_resource(ctx, variant)
        if variant.logical_id in resources:
            ctx.changed = merge_into(resources[variant.logical_id], fresh) or ctx.changed
        else:
            append_entry(resources, variant.logical_id, fresh)
            ctx.changed = True


# --- pass 4: functions ------------------------------------------------------------------------


def _strip_generated(seq: Any, generated: frozenset[str], external: frozenset[str]) -> bool:
    positions = [i for i, item in enumerate(seq)
                 if ref_target(item) in generated or (isinstance(item, str) and item in external)]
    for i in reversed(positions):
        del seq[i]
    return bool(positions)


def _put_first(seq: Any, refs: list[Any]) -> None:
    for i, ref in enumerate(refs):
        seq.insert(i, ref)


def attach_layers(ctx: _Context) -> None:
    resources = ctx.resources
    if not isinstance(resources, dict):
        return
    generated = ctx.layer_ids
    planned = {f.logical_id: f for f in ctx.plan.functions}
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != FUNCTION_TYPE:
            continue
        props = resource.get("Properties")
        layers = props.get("Layers") if isinstance(props, dict) else None
        before = to_plain(layers)
        fn = planned.get(logical_id)
        external = ctx.plan.external_values
        found = intrinsic(layers) if layers is not None else None
        refs = _injected_nodes(ctx, fn)
        if isinstance(layers, list) and found is None:
            _strip_generated(layers, generated, external)
            _put_first(layers, refs)
        elif found is not None and found[0] == "Fn::If":
            branches = found[1]
            for i in (1, 2):
                branch = branches[i]
                if isinstance(branch, list) and intrinsic(branch) is None:
                    _strip_generated(branch, generated, external)
                    _put_first(branch, _injected_nodes(ctx, fn))
                elif refs and ref_target(branch) == "AWS::NoValue":
                    branches[i] = new_seq(ctx.style, _injected_nodes(ctx, fn))
        elif refs:
            seq = new_seq(ctx.style, refs)
            if not isinstance(props, dict):
                props = new_map(ctx.style)
                props["Layers"] = seq
                resource["Properties"] = props
            else:
                keys = list(props)
                index = keys.index("Runtime") + 1 if "Runtime" in keys else 0
                if index == len(keys):
                    index -= 1
                insert_key(props, index, "Layers", seq)
        after = to_plain(props.get("Layers")) if isinstance(props, dict) else None
        if after != before:
            ctx.changed = True


def _injected_nodes(ctx: _Context, fn: Optional[FunctionPlan]) -> list[Any]:
    """Fresh nodes for a function's injected layers: ``!Ref`` for generated, text otherwise."""
    if fn is None:
        return []
    return [make_intrinsic("Ref", r.generated, ctx.style) if r.generated else r.text
            for r in fn.layers if r.source == "injected"]


# --- passes 5 and 6: sharing and outputs ------------------------------------------------------


def _permissions(ctx: _Context) -> dict[str, tuple[str, str, Optional[str]]]:
    """Permission logical id -> (layer id, principal, organization id), in a stable order."""
    share = ctx.config.share
    out: dict[str, tuple[str, str, Optional[str]]] = {}
    for variant in ctx.plan.variants:
        for account in share.accounts:
            out[f"{variant.logical_id}Share{account}"] = (variant.logical_id, account, None)
        if share.organization_id:
            out[f"{variant.logical_id}ShareOrg"] = (variant.logical_id, "*",
                                                    share.organization_id)
    return out


def share_layers(ctx: _Context) -> None:
    resources = ctx.resources
    for logical_id, (layer_id, principal, org) in _permissions(ctx).items():
        existing = resources.get(logical_id) if isinstance(resources, dict) else None
        if existing is not None and not is_generated(existing):
            raise BadInput(Problem(f"the generated permission id {logical_id} is already a "
                                   "resource of the template; rename that resource",
                                   str(ctx.doc.path), where=logical_id))
        resource = new_map(ctx.style)
        resource["Type"] = "AWS::Lambda::LayerVersionPermission"
        metadata = new_map(ctx.style)
        marker = new_map(ctx.style)
        marker["SharedLayer"] = layer_id
        metadata["SamLayers"] = marker
        resource["Metadata"] = metadata
        props = new_map(ctx.style)
        props["Action"] = "lambda:GetLayerVersion"
        props["LayerVersionArn"] = make_intrinsic("Ref", layer_id, ctx.style)
        props["Principal"] = principal
        if org:
            props["OrganizationId"] = org
        resource["Properties"] = props
        if existing is not None:
            ctx.changed = merge_into(existing, resource) or ctx.changed
        else:
            append_entry(resources, logical_id, resource)
            ctx.changed = True


def _is_generated_output(name: Any, value: Any, layer_ids: frozenset[str]) -> bool:
    if not isinstance(value, dict) or not isinstance(name, str) or not name.endswith("Arn"):
        return False
    target = ref_target(value.get("Value"))
    return target is not None and target == name[:-3] and target in layer_ids


def export_layers(ctx: _Context) -> None:
    ctx.resources if isinstance(ctx.resources, dict) else {}
    outputs = ctx.doc.data.get("Outputs")
    known = ctx.layer_ids
    wanted = {f"{v.logical_id}Arn": v for v in ctx.plan.variants} if ctx.config.outputs else {}
    if isinstance(outputs, dict):
        for name in [k for k, v in outputs.items() if _is_generated_output(k, v, known)]:
            if name not in wanted:
                del outputs[name]
                ctx.changed = True
    if not wanted:
        return
    if not isinstance(outputs, dict):
        outputs = new_map(ctx.style)
        ctx.doc.data["Outputs"] = outputs
    for name, variant in wanted.items():
        if name in outputs and not _is_generated_output(name, outputs[name], known):
            raise BadInput(Problem(f"the generated output {name} is already an output of the "
                                   "template; rename that output", str(ctx.doc.path),
                                   where=f"Outputs.{name}"))
        output = new_map(ctx.style)
        output["Description"] = f"sam-layers {variant.group} layer version ARN ({variant.target})"
        output["Value"] = make_intrinsic("Ref", variant.logical_id, ctx.style)
        export = new_map(ctx.style)
        export["Name"] = make_intrinsic("Fn::Sub", "${AWS::StackName}-" + name, ctx.style)
        output["Export"] = export
        if name in outputs:
            ctx.changed = merge_into(outputs[name], output) or ctx.changed
        else:
            append_entry(outputs, name, output)
            ctx.changed = True


PASSES: tuple[Callable[[_Context], None], ...] = (
    rewrite_paths,
    drop_stale_layers,
    write_layers,
    attach_layers,
    share_layers,
    export_layers,
)
