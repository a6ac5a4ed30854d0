"""Finding the latest build of each layer, the cache folder, findings order, and SL010."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sam_layers.findings import Finding, has_errors, sort_findings
from sam_layers.plan import FunctionPlan, LayerRef, LayerVariant, Plan
from sam_layers.platforms import Target
from sam_layers.spec import LayerSpec
from sam_layers.verify import BuiltLayer, VerifyInput, find_builds, measure_sizes, run_verify
from sam_layers.verify.cache import default_cache_dir
from sam_layers.verify.model import layer_key

PY312 = Target("python3.12")


def _plan() -> Plan:
    spec = LayerSpec("Web", PY312, ("requests",), "WebLayer")
    fn = FunctionPlan("ApiFunction", PY312, ("Web",), ("WebLayer",),
                      (LayerRef("!Ref WebLayer", "WebLayer", "injected"),
                       LayerRef("!Ref OwnLayer", None, "function")), "src/api")
    return Plan((LayerVariant("WebLayer", "Web", PY312, "", spec),), (fn,))


def _layer(folder: Path, mtime: float, content: str = "x = 1\n") -> None:
    (folder / "python" / "mod").mkdir(parents=True)
    (folder / "python" / "mod" / "__init__.py").write_text(content)
    for path in (folder / "python", folder):
        os.utime(path, (mtime, mtime))


def test_find_builds_takes_the_newest_of_both_build_folders(tmp_path: Path) -> None:
    _layer(tmp_path / ".sam-layers" / "build" / "WebLayer", 1_000_000)
    (tmp_path / ".sam-layers" / "build" / "WebLayer.zip").write_bytes(b"PK")
    _layer(tmp_path / ".aws-sam" / "build" / "WebLayer", 2_000_000)
    _layer(tmp_path / ".aws-sam" / "build" / "OwnLayer", 1_000_000)
    (tmp_path / "src" / "api").mkdir(parents=True)
    found = find_builds(_plan(), tmp_path)
    assert found.layers == {
        "WebLayer": BuiltLayer("WebLayer", tmp_path / ".aws-sam" / "build" / "WebLayer"),
        "OwnLayer": BuiltLayer("OwnLayer", tmp_path / ".aws-sam" / "build" / "OwnLayer"),
    }
    assert found.code_dirs == {"ApiFunction": tmp_path / "src" / "api"}

    os.utime(tmp_path / ".sam-layers" / "build" / "WebLayer", (3_000_000, 3_000_000))
    (tmp_path / ".aws-sam" / "build" / "ApiFunction").mkdir()
    found = find_builds(_plan(), tmp_path)
    assert found.layers["WebLayer"] == BuiltLayer(
        "WebLayer", tmp_path / ".sam-layers" / "build" / "WebLayer",
        tmp_path / ".sam-layers" / "build" / "WebLayer.zip")
    assert found.code_dirs == {"ApiFunction": tmp_path / ".aws-sam" / "build" / "ApiFunction"}


@pytest.mark.parametrize("text,key", [("!Ref OwnLayer", "OwnLayer"), ("{'Ref': 'OwnLayer'}", "OwnLayer"),
                                      ("arn:aws:lambda:us-east-1:1:layer:x:1", None),
                                      ("!Sub ${Prefix}Layer", None)])
def test_layer_key(text: str, key: object) -> None:
    assert layer_key(LayerRef(text)) == key


def test_unbuilt_generated_layer_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    inputs = VerifyInput(_plan(), {}, {"ApiFunction": tmp_path / "code"})
    assert run_verify(inputs, cache_dir=tmp_path / "cache") == [
        Finding("SL010", "error", "Resources/WebLayer",
                "WebLayer (used by ApiFunction) has no build in .sam-layers/build/WebLayer or "
                ".aws-sam/build/WebLayer: run sam-layers build (or sam build) first, then verify."),
        Finding("SL002", "warning", "Resources/ApiFunction/Layers",
                "size unknown for WebLayer, OwnLayer: the known part of ApiFunction is 0 of "
                "262,144,000 bytes unzipped. Check the rest fits (aws lambda get-layer-version "
                "shows a layer's CodeSize), or build the missing parts first."),
    ]


def test_measure_sizes(tmp_path: Path) -> None:
    _layer(tmp_path / "web", 1_000_000, "x = 12345\n")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    inputs = VerifyInput(_plan(), {"WebLayer": BuiltLayer("WebLayer", tmp_path / "web")},
                         {"ApiFunction": tmp_path / "code"})
    sizes = measure_sizes(inputs, cache_dir=tmp_path / "cache")
    assert sizes.layers == {"WebLayer": 10}
    assert sizes.code == {"ApiFunction": 32}


def test_cache_dir_from_environment(tmp_path: Path) -> None:
    assert default_cache_dir({"SAM_LAYERS_CACHE_DIR": "/c/s", "XDG_CACHE_HOME": "/x"}) == Path("/c/s")
    assert default_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/sam-layers")
    assert default_cache_dir({}) == Path.home() / ".cache" / "sam-layers"


def test_findings_sort_and_round_trip() -> None:
    items = [Finding("SL009", "info", "Resources/A/Layers", "m"),
             Finding("SL005", "error", "B:python/x.so", "m"),
             Finding("SL002", "warning", "Resources/A/Layers", "m"),
             Finding("SL001", "error", "Resources/B/Layers", "m"),
             Finding("SL001", "error", "Resources/A/Layers", "m")]
    assert [(f.id, f.location) for f in sort_findings(items)] == [
        ("SL001", "Resources/A/Layers"), ("SL001", "Resources/B/Layers"), ("SL005", "B:python/x.so"),
        ("SL002", "Resources/A/Layers"), ("SL009", "Resources/A/Layers")]
    assert sort_findings(items + items) == sort_findings(list(reversed(items)))
    assert [Finding.from_json(f.to_json()) for f in items] == items
    assert has_errors(items) is True and has_errors(items[2:3]) is False
    with pytest.raises(ValueError, match="unknown severity 'fatal'"):
        Finding.from_json({"id": "SL001", "severity": "fatal", "location": "x", "message": "m"})
