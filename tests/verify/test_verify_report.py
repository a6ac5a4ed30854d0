"""Plan and findings rendering: exact terminal, Markdown and JSON output."""

from __future__ import annotations

import json

from sam_layers.findings import Finding
from sam_layers.plan import FunctionPlan, LayerRef, LayerVariant, Plan
from sam_layers.platforms import Target
from sam_layers.report import (
    Sizes,
    findings_json,
    plan_json,
    render_findings,
    render_plan_markdown,
    render_plan_table,
)
from sam_layers.spec import LayerSpec

PY312 = Target("python3.12")
ARM311 = Target("python3.11", "arm64")
ARN = "arn:aws:lambda:us-east-1:123456789012:layer:shared:3"


def _variant(logical_id: str, group: str, target: Target) -> LayerVariant:
    return LayerVariant(logical_id, group, target, "",
                        LayerSpec(group, target, (f"{group.lower()}>=1",), logical_id))


PLAN = Plan(
    (_variant("WebLayer", "Web", PY312), _variant("DataLayer", "Data", PY312),
     _variant("WebLayerPython311Arm64", "Web", ARM311)),
    (
        FunctionPlan("ApiFunction", PY312, ("Web", "Data"), ("WebLayer", "DataLayer"),
                     (LayerRef(ARN, None, "globals"), LayerRef("!Ref WebLayer", "WebLayer", "injected"),
                      LayerRef("!Ref DataLayer", "DataLayer", "injected"),
                      LayerRef("!Ref OwnLayer", None, "function")), "src/api"),
        FunctionPlan("WorkerFunction", ARM311, ("Web",), ("WebLayerPython311Arm64",),
                     (LayerRef("!Ref WebLayerPython311Arm64", "WebLayerPython311Arm64",
                               "injected"),), "src/worker"),
    ),
)
SIZES = Sizes({"WebLayer": 2_088_815, "DataLayer": 261_000_000, "WebLayerPython311Arm64": 2_100_000},
              {"ApiFunction": 1_200, "WorkerFunction": 900})


def test_plan_table_before_a_build() -> None:
    assert render_plan_table(PLAN) == (
        "FUNCTION        RUNTIME/ARCH       LAYERS (Lambda order)                                              COUNT  UNZIPPED / 262,144,000\n"
        "--------------  -----------------  -----------------------------------------------------------------  -----  ----------------------\n"
        "ApiFunction     python3.12/x86_64  1. arn:aws:lambda:us-east-1:123456789012:layer:shared:3 (Globals)  4/5    not built\n"
        "                                   2. WebLayer (Web)\n"
        "                                   3. DataLayer (Data)\n"
        "                                   4. !Ref OwnLayer (own)\n"
        "WorkerFunction  python3.11/arm64   1. WebLayerPython311Arm64 (Web)                                    1/5    not built\n")


def test_plan_table_with_sizes() -> None:
    lines = render_plan_table(PLAN, SIZES).splitlines()
    assert lines[2].endswith("4/5    263,090,015 (100.4%) + 2 unknown OVER")
    assert lines[3].strip() == "2. WebLayer (Web, 2.1 MB)"
    assert lines[6].endswith("1/5    2,100,900 (0.8%)")


def test_plan_markdown() -> None:
    assert render_plan_markdown(PLAN, SIZES) == (
        "| Function | Runtime/arch | Layers (Lambda order) | Count | Unzipped / 262,144,000 |\n"
        "|---|---|---|---|---|\n"
        f"| `ApiFunction` | python3.12/x86_64 | 1. `{ARN}` (Globals)<br>2. `WebLayer` (Web, 2.1 MB)"
        "<br>3. `DataLayer` (Data, 261.0 MB)<br>4. `!Ref OwnLayer` (own) | 4/5 | "
        "**263,090,015 (100.4%) + 2 unknown OVER** |\n"
        "| `WorkerFunction` | python3.11/arm64 | 1. `WebLayerPython311Arm64` (Web, 2.1 MB) | 1/5 | "
        "2,100,900 (0.8%) |\n")


def test_plan_json_for_one_function() -> None:
    data = plan_json(PLAN, SIZES)
    json.dumps(data)  # serialisable as it is
    assert data["max_layers"] == 5 and data["max_unzipped_bytes"] == 262_144_000
    assert data["functions"][1] == {
        "function": "WorkerFunction", "runtime": "python3.11", "architecture": "arm64",
        "groups": ["Web"],
        "layers": [{"ref": "!Ref WebLayerPython311Arm64", "logical_id": "WebLayerPython311Arm64",
                    "generated": True, "group": "Web", "source": "injected",
                    "unzipped_bytes": 2_100_000}],
        "layer_count": 1, "code_bytes": 900, "unzipped_bytes": 2_100_900, "unknown_sizes": [],
        "over_layer_limit": False, "over_size_limit": False}
    assert data["functions"][0]["unknown_sizes"] == [ARN, "OwnLayer"]
    assert data["layers"][2] == {
        "logical_id": "WebLayerPython311Arm64", "group": "Web", "runtime": "python3.11",
        "architecture": "arm64", "requirements": ["web>=1"], "unzipped_bytes": 2_100_000}


def test_six_layers_are_marked_over() -> None:
    refs = tuple(LayerRef(f"arn:aws:lambda:us-east-1:1:layer:l{i}:1", None, "function")
                 for i in range(6))
    plan = Plan((), (FunctionPlan("BigFunction", PY312, (), (), refs),))
    assert render_plan_table(plan).splitlines()[2] == (
        "BigFunction  python3.12/x86_64  1. arn:aws:lambda:us-east-1:1:layer:l0:1 (own)  6/5 OVER"
        "  not built")
    assert render_plan_markdown(plan).splitlines()[2].endswith("| **6/5 OVER** | not built |")


FINDINGS = [
    Finding("SL002", "warning", "Resources/ApiFunction/Layers",
            f"size unknown for {ARN}: the known part of ApiFunction is 1,200 of 262,144,000 bytes "
            "unzipped."),
    Finding("SL001", "error", "Resources/ApiFunction/Layers", "ApiFunction has 6 layers."),
    Finding("SL008", "info", "Resources/ArmFunction/Layers", "import test skipped."),
]


def test_findings_table() -> None:
    assert render_findings(FINDINGS, width=80) == (
        "SEVERITY  ID     LOCATION\n"
        "error     SL001  Resources/ApiFunction/Layers\n"
        "                 ApiFunction has 6 layers.\n"
        "warning   SL002  Resources/ApiFunction/Layers\n"
        "                 size unknown for\n"
        "                 arn:aws:lambda:us-east-1:123456789012:layer:shared:3: the known\n"
        "                 part of ApiFunction is 1,200 of 262,144,000 bytes unzipped.\n"
        "info      SL008  Resources/ArmFunction/Layers\n"
        "                 import test skipped.\n"
        "1 error, 1 warning, 1 info\n")
    assert render_findings([]) == "no findings\n"


def test_findings_json() -> None:
    assert findings_json(FINDINGS) == {
        "ok": False,
        "counts": {"error": 1, "warning": 1, "info": 1},
        "findings": [f.to_json() for f in (FINDINGS[1], FINDINGS[0], FINDINGS[2])],
    }
    assert findings_json([FINDINGS[2]])["ok"] is True
