"""The example apps under templates/: valid SAM as written, and what the transform makes of them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.support import samcheck

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
QUICKSTART = TEMPLATES / "quickstart" / "template.yaml"
MULTI_ARCH = TEMPLATES / "multi-arch" / "template.yaml"

# What the transform must give each example: function -> its layers, layer -> (runtime, arch, LayerName).
EXPECTED: Dict[Path, Dict[str, Any]] = {
    QUICKSTART: {
        "functions": {"ApiFunction": ["WebLayer"], "ReportFunction": ["WebLayer", "DataLayer"]},
        "layers": {
            "WebLayer": ("python3.12", "x86_64", "${AWS::StackName}-web"),
            "DataLayer": ("python3.12", "x86_64", "${AWS::StackName}-data"),
        },
    },
    MULTI_ARCH: {
        "functions": {"IngestFunction": ["WebLayerPython312Arm64"], "LegacyFunction": ["WebLayerPython311X86"]},
        "layers": {
            "WebLayerPython312Arm64": ("python3.12", "arm64", "${AWS::StackName}-web-python312-arm64"),
            "WebLayerPython311X86": ("python3.11", "x86_64", "${AWS::StackName}-web-python311-x86"),
        },
    },
}
EXAMPLES = sorted(EXPECTED)
IDS = [p.parent.name for p in EXAMPLES]


def test_quickstart_data_group_is_pep735() -> None:
    pyproject = tomllib.loads((QUICKSTART.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["dependency-groups"] == {"data": ["pandas>=2.2", "numpy>=2"]}
    config = samcheck.load_sam(QUICKSTART)["Metadata"]["SamLayers"]
    assert config == {
        "Groups": {"Web": {"Packages": ["requests>=2.32"]}, "Data": {"DependencyGroup": "data"}},
        "Default": ["Web"],
    }


@pytest.mark.parametrize("template", EXAMPLES, ids=IDS)
def test_example_translates_as_written(template: Path) -> None:
    out = samcheck.translate(samcheck.load_sam(template), base_dir=template.parent)
    functions = sorted(k for k, r in out["Resources"].items() if r["Type"] == "AWS::Lambda::Function")
    assert functions == sorted(EXPECTED[template]["functions"])


@pytest.mark.integration
@pytest.mark.parametrize("template", EXAMPLES, ids=IDS)
def test_example_passes_sam_validate_lint(template: Path) -> None:
    done = samcheck.sam_validate_lint(template)
    assert (done.returncode, done.stdout.strip()) == (0, f"{template} is a valid SAM Template"), done.stderr


def _refs(layers: List[Any]) -> List[str]:
    return [item["Ref"] for item in layers if isinstance(item, dict) and "Ref" in item]


@pytest.mark.integration
@pytest.mark.parametrize("template", EXAMPLES, ids=IDS)
def test_transformed_example(template: Path, tmp_path: Path) -> None:
    from sam_layers.transform import transform_file

    output = tmp_path / "out" / "template.yaml"
    output.parent.mkdir()
    result = transform_file(template, output)
    if not output.exists():
        output.write_text(result.text, encoding="utf-8")
    assert output.read_text(encoding="utf-8") == result.text
    expected = EXPECTED[template]

    sam = samcheck.load_sam(output)
    resources = sam["Resources"]
    for function, layers in expected["functions"].items():
        assert _refs(resources[function]["Properties"]["Layers"]) == layers, function
    for layer, (runtime, arch, name) in expected["layers"].items():
        props = resources[layer]["Properties"]
        assert resources[layer]["Type"] == "AWS::Serverless::LayerVersion"
        assert resources[layer]["Metadata"]["BuildMethod"] == "makefile"
        assert resources[layer]["Metadata"]["BuildArchitecture"] == arch
        assert (props["CompatibleRuntimes"], props["CompatibleArchitectures"]) == ([runtime], [arch])
        assert props["LayerName"] == {"Fn::Sub": name}
        assert props["ContentUri"] == f".sam-layers/{layer}"
    generated = sorted(k for k, r in resources.items() if r["Type"] == "AWS::Serverless::LayerVersion")
    assert generated == sorted(expected["layers"])

    # The relative CodeUris were rewritten for the other folder: same code, same placeholders.
    before = samcheck.translate(samcheck.load_sam(template), base_dir=template.parent)
    after = samcheck.translate(sam, base_dir=output.parent)
    for function in expected["functions"]:
        assert after["Resources"][function]["Properties"]["Code"] == before["Resources"][function]["Properties"]["Code"]

    done = samcheck.sam_validate_lint(output)
    assert (done.returncode, done.stdout.strip()) == (0, f"{output} is a valid SAM Template"), done.stdout + done.stderr
