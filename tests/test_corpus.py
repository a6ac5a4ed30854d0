"""The transform over 544 real SAM templates (aws-sam-translator's test inputs) with a Default group added.

For each template: what translated before still translates after; every eligible function got the
Web layer (or the transform refused with a problem naming it, for a reason that holds); nothing
else in the translated CloudFormation changed; a second transform gives the same bytes. Three
variants: the templates as they are (80 eligible functions), with every runtime made Python (623,
and -o in another folder), and that written as JSON.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import pytest

from sam_layers.errors import BadInput, Problem
from sam_layers.transform import transform_file
from tests.support import corpus, samcheck

FILES = corpus.corpus_files()
GROUP = "Web"
SAM_LAYERS = {"Groups": {GROUP: {"Packages": ["requests>=2.32"]}}, "Default": [GROUP]}
MAX_LAYERS = 5

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not FILES, reason=f"no corpus at {corpus.CORPUS_DIR}"),
]


def _generated_layers(translated: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """Translated ``AWS::Lambda::LayerVersion``s of the group: ``WebLayer`` + variant suffix + SAM's hash."""
    return {
        logical_id: resource
        for logical_id, resource in translated.get("Resources", {}).items()
        if logical_id.startswith(GROUP + "Layer") and resource.get("Type") == "AWS::Lambda::LayerVersion"
    }


def _is_injected(item: Any, generated: Set[str]) -> bool:
    return isinstance(item, dict) and list(item) == ["Ref"] and item["Ref"] in generated


def _layer_lists(value: Any) -> List[List[Any]]:
    """The concrete layer lists a translated ``Layers`` value can take (both ``Fn::If`` branches)."""
    if isinstance(value, list):
        return [value]
    if isinstance(value, dict) and list(value) == ["Fn::If"] and len(value["Fn::If"]) == 3:
        return _layer_lists(value["Fn::If"][1]) + _layer_lists(value["Fn::If"][2])
    return []


def _without_injected(value: Any, generated: Set[str]) -> Any:
    if isinstance(value, list):
        return [item for item in value if not _is_injected(item, generated)]
    if isinstance(value, dict) and list(value) == ["Fn::If"] and len(value["Fn::If"]) == 3:
        condition, then, other = value["Fn::If"]
        return {"Fn::If": [condition, _without_injected(then, generated), _without_injected(other, generated)]}
    return value


def _normalised(translated: Dict[str, Any], generated: Set[str]) -> str:
    """The translated template minus what the layers legitimately change, as canonical JSON.

    Removed: the generated layer resources and their ``Ref``s in function ``Layers`` (an emptied
    list goes too). SAM's ``AWS::Lambda::Version`` logical ids hash the function's properties,
    Layers included, so their hash suffix is dropped wherever they are named (Deployments' too).
    """
    doc = json.loads(json.dumps(translated))
    resources: Dict[str, Any] = doc.get("Resources", {})
    for logical_id in generated:
        resources.pop(logical_id, None)
    for resource in resources.values():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Lambda::Function":
            props = resource.get("Properties", {})
            if "Layers" in props:
                props["Layers"] = _without_injected(props["Layers"], generated)
                if props["Layers"] == []:
                    del props["Layers"]
    return samcheck.canonical(doc, unhash=("AWS::Lambda::Version", *samcheck.TIME_HASHED))


def _absolute_docker_context(translated: Dict[str, Any], base_dir: Path) -> None:
    """``Metadata.DockerContext`` (passed through to the Lambda function) as the folder it names."""
    for resource in translated.get("Resources", {}).values():
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict) and isinstance(metadata.get("DockerContext"), str):
            metadata["DockerContext"] = os.path.normpath(base_dir / metadata["DockerContext"])


def _names(problem: Problem, logical_id: str) -> bool:
    return logical_id == problem.where or re.search(r"\b" + re.escape(logical_id) + r"\b", str(problem)) is not None


def _check_refusal(exc: BadInput, template: Dict[str, Any], eligible: Dict[str, Any]) -> None:
    """A BadInput on a corpus template is only right when it names eligible functions that cannot take a layer."""
    functions = corpus.serverless_functions(template)
    cannot: Dict[str, str] = {}
    for logical_id in eligible:
        count = corpus.existing_layer_count(template, functions[logical_id])
        if count is None:
            cannot[logical_id] = "Layers is an intrinsic other than Fn::If"
        elif count + 1 > MAX_LAYERS:
            cannot[logical_id] = f"{count} layers already"
    problems = [str(p) for p in exc.problems]
    unexplained = [str(p) for p in exc.problems if not any(_names(p, f) for f in cannot)]
    assert not unexplained, f"BadInput for no reason the test knows of (eligible: {sorted(eligible)}): {problems}"
    unnamed = [f for f in cannot if not any(_names(p, f) for p in exc.problems)]
    assert not unnamed, f"functions that cannot take a layer but no problem names them: {unnamed}; {problems}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_transform_corpus_template(path: Path, tmp_path: Path) -> None:
    _check_transform(path, tmp_path, pythonise=False, elsewhere=False)


# Failures the transform's owner has been told about; strict, so a fix shows up as XPASS.
KNOWN: Dict[str, str] = {}
KNOWN_ELSEWHERE: Dict[str, str] = {**KNOWN}


def _params(known: Dict[str, str]) -> List[Any]:
    return [
        pytest.param(p, id=p.name, marks=[pytest.mark.xfail(reason=known[p.name], strict=True)] if p.name in known else [])
        for p in FILES
    ]


@pytest.mark.parametrize("path", _params(KNOWN_ELSEWHERE))
def test_transform_corpus_template_as_python(path: Path, tmp_path: Path) -> None:
    """The same with every function's runtime made Python (623 eligible functions), and -o elsewhere."""
    _check_transform(path, tmp_path, pythonise=True, elsewhere=True)


@pytest.mark.parametrize("path", _params(KNOWN))
def test_transform_corpus_template_as_json(path: Path, tmp_path: Path) -> None:
    """The Python variant written as JSON: the output is JSON too, with the same checks."""
    _check_transform(path, tmp_path, pythonise=True, elsewhere=False, as_json=True)


def _check_transform(path: Path, tmp_path: Path, *, pythonise: bool, elsewhere: bool, as_json: bool = False) -> None:
    region = corpus.region_for(path)
    source = tmp_path / (path.stem + ".json" if as_json else path.name)
    corpus.add_sam_layers(path, source, SAM_LAYERS, pythonise=pythonise, as_json=as_json)
    template = samcheck.load_sam(source)
    eligible = corpus.eligible_functions(template)
    try:
        before: Optional[Dict[str, Any]] = samcheck.translate(template, base_dir=tmp_path, region=region)
    except samcheck.TranslationFailed:
        before = None
    input_bytes = source.read_bytes()

    try:
        result = transform_file(source)
    except BadInput as exc:
        _check_refusal(exc, template, eligible)
        assert source.read_bytes() == input_bytes, "the input file was modified"
        return
    assert source.read_bytes() == input_bytes, "the input file was modified"
    assert all(isinstance(w, Problem) for w in result.warnings)
    # A Python function whose Architectures is an intrinsic cannot be built for: it is left
    # without layers, and a warning names it.
    undecidable = sorted(f for f, (_, architecture) in eligible.items() if architecture is None)
    unwarned = [f for f in undecidable if not any(_names(w, f) for w in result.warnings)]
    assert not unwarned, f"left without layers and no warning names them: {unwarned}"
    eligible = {f: t for f, t in eligible.items() if f not in undecidable}

    if as_json:
        json.loads(result.text)  # the same format as the input
    once = tmp_path / ("once" + source.suffix)
    once.write_text(result.text, encoding="utf-8")
    # A second transform is a no-op, byte for byte.
    assert transform_file(once).text == result.text
    if not eligible:
        assert result.text == source.read_text(encoding="utf-8"), "changed a template without eligible functions"
    transformed = samcheck.load_sam(once)
    assert transformed.get("Metadata", {}).get("SamLayers") == SAM_LAYERS

    if before is None:
        pytest.skip("the template does not translate before the transform")
    after = samcheck.translate(transformed, base_dir=tmp_path, region=region)
    generated = _generated_layers(after)
    resources = after["Resources"]

    # A function SAM itself replaces (one named ServerlessRestApi gives way to the implicit API)
    # has no Lambda function to check.
    present = {
        logical_id: target
        for logical_id, target in eligible.items()
        if before["Resources"].get(logical_id, {}).get("Type") == "AWS::Lambda::Function"
    }
    # Every eligible function has exactly one Web layer, for its own runtime and architecture,
    # placed after the Globals layers and before its own.
    for logical_id, (runtime, architecture) in sorted(present.items()):
        function = resources.get(logical_id)
        assert function is not None and function["Type"] == "AWS::Lambda::Function", logical_id
        layer_lists = _layer_lists(function["Properties"].get("Layers"))
        assert layer_lists, f"{logical_id}: no Layers after the transform"
        for layers in layer_lists:
            injected = [item["Ref"] for item in layers if _is_injected(item, set(generated))]
            assert len(injected) == 1, f"{logical_id}: Web layer refs {injected} in {layers}"
            assert len(layers) <= MAX_LAYERS, f"{logical_id}: {len(layers)} layers: {layers}"
            layer = generated[injected[0]]["Properties"]
            assert layer["CompatibleRuntimes"] == [runtime], f"{logical_id} -> {injected[0]}"
            if architecture is not None:
                assert layer.get("CompatibleArchitectures", ["x86_64"]) == [architecture], f"{logical_id} -> {injected[0]}"
        globals_layers = corpus.globals_value(template, corpus.serverless_functions(template)[logical_id], "Layers", [])
        if isinstance(globals_layers, list) and isinstance(function["Properties"]["Layers"], list):
            position = next(
                i for i, item in enumerate(function["Properties"]["Layers"]) if _is_injected(item, set(generated))
            )
            assert position == len(globals_layers), f"{logical_id}: Web layer at {position}: {function['Properties']['Layers']}"

    # Only eligible functions got it, and there is one layer per (runtime, architecture) needed.
    with_layer = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") == "AWS::Lambda::Function"
        and any(
            _is_injected(item, set(generated))
            for layers in _layer_lists(resource.get("Properties", {}).get("Layers"))
            for item in layers
        )
    }
    assert with_layer == set(present)
    assert len(generated) == len(set(eligible.values()))

    # Nothing else changed.
    assert _normalised(after, set(generated)) == _normalised(before, set())

    if elsewhere:
        # Written to another folder, the relative paths are rewritten to the same files: the same
        # S3 placeholders (they follow the target), so the same CloudFormation.
        output = tmp_path / "out" / ("template" + source.suffix)
        output.parent.mkdir()
        moved = transform_file(source, output)
        output.write_text(moved.text, encoding="utf-8")
        translated = samcheck.translate(samcheck.load_sam(output), base_dir=output.parent, region=region)
        _absolute_docker_context(translated, output.parent)
        _absolute_docker_context(after, tmp_path)
        assert _normalised(translated, set(_generated_layers(translated))) == _normalised(after, set(generated))
