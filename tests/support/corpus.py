"""The shared corpus of real SAM templates (aws-sam-translator's own test inputs) and what tests need of it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from sam_layers.edit import insert_key

# ../shared/corpus/sam-translator beside the repository, unless SAM_LAYERS_CORPUS says otherwise.
CORPUS_DIR = Path(
    os.environ.get(
        "SAM_LAYERS_CORPUS",
        str(Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "sam-translator"),
    )
)

# Templates that only translate in another region: their Mappings have no us-east-1 entry.
REGIONS: Dict[str, str] = {
    "application_with_intrinsics.yaml": "ap-southeast-1",
}

PYTHON_RUNTIMES = frozenset(f"python3.{minor}" for minor in range(9, 15))
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


def corpus_files() -> List[Path]:
    if not CORPUS_DIR.is_dir():
        return []
    return sorted(p for p in CORPUS_DIR.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def region_for(path: Path) -> str:
    return REGIONS.get(path.name, "us-east-1")


def _ignored(function: Dict[str, Any], name: str) -> bool:
    """``IgnoreGlobals`` is a resource attribute, beside ``Type`` and ``Properties``."""
    ignore = function.get("IgnoreGlobals")
    return ignore == "*" or (isinstance(ignore, list) and name in ignore)


def effective(template: Dict[str, Any], function: Dict[str, Any], name: str, default: Any = None) -> Any:
    """A function property as SAM sees it: its own value, else Globals.Function's (unless ignored)."""
    props = function.get("Properties")
    if isinstance(props, dict) and name in props:
        return props[name]
    return globals_value(template, function, name, default)


def globals_value(template: Dict[str, Any], function: Dict[str, Any], name: str, default: Any = None) -> Any:
    """What Globals.Function gives this function for ``name`` (``default`` when nothing or ignored)."""
    globals_ = template.get("Globals")
    section = globals_.get("Function") if isinstance(globals_, dict) else None
    if isinstance(section, dict) and name in section and not _ignored(function, name):
        return section[name]
    return default


def serverless_functions(template: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """``AWS::Serverless::Function`` resources by logical id (``Fn::ForEach`` templates left out)."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return {}
    return {
        logical_id: resource
        for logical_id, resource in resources.items()
        if not logical_id.startswith("Fn::ForEach")
        and isinstance(resource, dict)
        and resource.get("Type") == "AWS::Serverless::Function"
    }


def python_target(template: Dict[str, Any], function: Dict[str, Any]) -> Optional[tuple[str, Optional[str]]]:
    """(runtime, architecture) of an eligible function, else None.

    Eligible: zip package type and a python3.9-3.14 string runtime, own or from Globals. The
    architecture is None when it is an intrinsic (the function is still eligible).
    """
    runtime = effective(template, function, "Runtime")
    package_type = effective(template, function, "PackageType", "Zip")
    if not isinstance(runtime, str) or runtime not in PYTHON_RUNTIMES or package_type != "Zip":
        return None
    architectures = effective(template, function, "Architectures", ["x86_64"])
    if isinstance(architectures, list) and len(architectures) == 1 and isinstance(architectures[0], str):
        return runtime, architectures[0]
    return runtime, None


def eligible_functions(template: Dict[str, Any]) -> Dict[str, tuple[str, Optional[str]]]:
    found: Dict[str, tuple[str, Optional[str]]] = {}
    for logical_id, function in serverless_functions(template).items():
        target = python_target(template, function)
        if target is not None:
            found[logical_id] = target
    return found


def _layer_count(value: Any) -> Optional[int]:
    """How many layers a Layers value lists (the larger ``Fn::If`` branch); None for other intrinsics."""
    if value is None or value == {"Ref": "AWS::NoValue"}:
        return 0
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict) and list(value) == ["Fn::If"]:
        branches = value["Fn::If"]
        if isinstance(branches, list) and len(branches) == 3:
            counts = [_layer_count(branches[1]), _layer_count(branches[2])]
            if None in counts:
                return None
            return max(c for c in counts if c is not None)
    return None


def existing_layer_count(template: Dict[str, Any], function: Dict[str, Any]) -> Optional[int]:
    """Globals layers + the function's own: what Lambda gets before injection; None if not countable."""
    props = function.get("Properties")
    props = props if isinstance(props, dict) else {}
    own = _layer_count(props.get("Layers"))
    inherited = _layer_count(globals_value(template, function, "Layers"))
    if own is None or inherited is None:
        return None
    return own + inherited


def _round_trip_yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    return yaml


def add_sam_layers(
    src: Path, dst: Path, sam_layers: Dict[str, Any], *, pythonise: bool = False, as_json: bool = False
) -> None:
    """Copy ``src`` to ``dst`` with ``sam_layers`` as its top-level ``Metadata.SamLayers``.

    A round trip (ruamel.yaml for YAML, json for JSON) keeps short-form tags and key order. A
    template without ``Transform`` (most of aws-sam-translator's inputs) gets the SAM one, as every
    real SAM template has it. ``pythonise`` turns every other string runtime of the functions into
    a supported Python (see :func:`_pythonise`), so the corpus' Layers, Globals, ``Fn::If`` and
    five-layer cases meet the transform. ``as_json`` writes the template as JSON (intrinsics in
    their long form), whatever ``src`` is.
    """
    import json

    text = src.read_text(encoding="utf-8")
    if as_json:
        from tests.support.samcheck import load_sam_text

        plain = load_sam_text(text, name=str(src))
        _merge(plain, sam_layers)
        if pythonise:
            _pythonise(plain)
        dst.write_text(json.dumps(plain, indent=2, default=str) + "\n", encoding="utf-8")
        return
    if src.suffix == ".json":
        data = json.loads(text)
        _merge(data, sam_layers)
        if pythonise:
            _pythonise(data)
        dst.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return
    yaml = _round_trip_yaml()
    data = yaml.load(text)
    _merge(data, sam_layers)
    if pythonise:
        _pythonise(data)
    with dst.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)


def _merge(data: Any, sam_layers: Dict[str, Any]) -> None:
    keys = list(data)
    if "Transform" not in data:
        at = keys.index("AWSTemplateFormatVersion") + 1 if "AWSTemplateFormatVersion" in keys else 0
        insert_key(data, at, "Transform", SAM_TRANSFORM)
        keys = list(data)
    metadata = data.get("Metadata")
    if isinstance(metadata, dict):
        metadata["SamLayers"] = sam_layers
    else:
        at = keys.index("Resources") if "Resources" in keys else len(keys)
        insert_key(data, at, "Metadata", {"SamLayers": sam_layers})


GLOBALS_PYTHON = "python3.12"
OWN_PYTHON = "python3.11"


def _pythonise(data: Any) -> None:
    """Globals.Function's string Runtime becomes python3.12, a function's own python3.11.

    Other Pythons (3.9-3.14) are kept. Two runtimes in one template give the group two variants,
    so suffixed layer ids are exercised too.
    """
    globals_ = data.get("Globals")
    section = globals_.get("Function") if isinstance(globals_, dict) else None
    if isinstance(section, dict) and _replaceable(section.get("Runtime")):
        section["Runtime"] = GLOBALS_PYTHON
    resources = data.get("Resources")
    if not isinstance(resources, dict):
        return
    for logical_id, resource in resources.items():
        if str(logical_id).startswith("Fn::ForEach") or not isinstance(resource, dict):
            continue
        props = resource.get("Properties")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(props, dict):
            if _replaceable(props.get("Runtime")):
                props["Runtime"] = OWN_PYTHON


def _replaceable(runtime: Any) -> bool:
    return isinstance(runtime, str) and runtime not in PYTHON_RUNTIMES
