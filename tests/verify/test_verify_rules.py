"""Each rule against real layers built from PyPI wheels: the exact finding (id, severity, place)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sam_layers.findings import Finding
from sam_layers.plan import LayerRef
from sam_layers.platforms import Target, uv_python_platform
from sam_layers.verify import Host, PythonLookup, run_verify
from sam_layers.verify.cache import ResultCache
from sam_layers.verify.context import make_context
from sam_layers.verify.pythons import find_python
from sam_layers.verify.rules import import_test

from tests.verify.helpers import Layers, folder_bytes, make_input, stored_zip, tree_state

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(Host.current().machine != "x86_64" or Host.current().glibc is None,
                       reason="the import tests here need a Linux x86_64 glibc host"),
]

PY312 = Target("python3.12", "x86_64")
PY311 = Target("python3.11", "x86_64")
ARM312 = Target("python3.12", "arm64")
X86_312 = uv_python_platform(PY312)  # x86_64-manylinux_2_34
HOST = {"host": Host.current()}
SMALL_PINS = ("certifi==2026.10.19.post1", "charset-normalizer==3.5.3", "idna==3.20",
              "requests==2.34.2", "urllib3==2.8.0", "six==1.17.0")


def shapes(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.id, f.severity, f.location) for f in findings]


def needs_python(version: str) -> None:
    if find_python(version).executable is None:
        pytest.skip(f"CPython {version} is not installed")


@pytest.fixture(scope="session")
def clean(layers: Layers) -> Path:
    return layers.get("clean", X86_312, "3.12", ["requests==2.34.2"])


def test_clean_requests_layer_has_no_findings(clean: Path, code_dir: Path, tmp_path: Path) -> None:
    needs_python("3.12")
    inputs = make_input("ApiFunction", PY312, {"WebLayer": clean}, code_dir)
    assert run_verify(inputs, cache_dir=tmp_path, **HOST) == []


def test_import_test_never_writes_into_the_layer(clean: Path, code_dir: Path,
                                                 tmp_path: Path) -> None:
    needs_python("3.12")
    before = tree_state(clean)
    inputs = make_input("ApiFunction", PY312, {"WebLayer": clean}, code_dir)
    assert run_verify(inputs, use_cache=False, **HOST) == []
    assert tree_state(clean) == before
    assert list(clean.rglob("__pycache__")) == []


def test_aarch64_wheel_in_x86_64_layer(layers: Layers, code_dir: Path, tmp_path: Path) -> None:
    arm = layers.get("arm", "aarch64-manylinux_2_17", "3.12", ["markupsafe==3.0.4"])
    inputs = make_input("ApiFunction", PY312, {"WebLayer": arm}, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [
        ("SL004", "error", "WebLayer:python/markupsafe/_speedups.cpython-312-aarch64-linux-gnu.so")]
    assert findings[0].message.startswith(
        "MarkupSafe 3.0.4: this binary is built for aarch64, but the layer runs on x86_64 "
        "(python3.12/x86_64); it fails to load on Lambda. Rebuild the layer for x86_64")


def test_manylinux_2_28_wheel_in_python311_layer(layers: Layers, code_dir: Path,
                                                 tmp_path: Path) -> None:
    numpy = layers.get("numpy311", "x86_64-manylinux_2_28", "3.11", ["numpy==2.4.6"])
    inputs = make_input("DataFunction", PY311, {"DataLayer": numpy}, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [
        ("SL005", "error",
         "DataLayer:python/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")]
    assert ("numpy 2.4.6: this binary (and 5 more files of it) needs GLIBC_2.27, but python3.11 "
            "runs on Amazon Linux 2 with glibc 2.26; the import fails on Lambda with "
            "\"version `GLIBC_2.27' not found\"") in findings[0].message
    assert "move the function to python3.12+ (Amazon Linux 2023, glibc 2.34)" in findings[0].message


def test_layer_zip_over_50_mb(layers: Layers, code_dir: Path, tmp_path: Path) -> None:
    numpy = layers.get("numpy311", "x86_64-manylinux_2_28", "3.11", ["numpy==2.4.6"])
    archive = stored_zip(numpy, tmp_path / "DataLayer.zip")
    inputs = make_input("DataFunction", PY311, {"DataLayer": numpy}, code_dir,
                        zips={"DataLayer": archive})
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [
        ("SL005", "error",
         "DataLayer:python/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
        ("SL003", "warning", "DataLayer:DataLayer.zip")]
    assert findings[1].message.startswith(
        f"the zip is {archive.stat().st_size:,} bytes, over the 52,428,800-byte limit of a direct "
        f"PublishLayerVersion upload: publish it through an S3 bucket")


def test_cp311_wheel_in_python312_layer(layers: Layers, code_dir: Path, tmp_path: Path) -> None:
    needs_python("3.12")
    cp311 = layers.get("cp311", "x86_64-manylinux_2_17", "3.11", ["markupsafe==3.0.4"])
    inputs = make_input("ApiFunction", PY312, {"WebLayer": cp311}, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [
        ("SL006", "error", "WebLayer:python/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so")]
    assert findings[0].message.startswith(
        "MarkupSafe 3.0.4: this extension module is built for CPython 3.11 "
        "(cpython-311-x86_64-linux-gnu), but the function runs python3.12; Python will not load it")


@pytest.fixture(scope="session")
def six_layers(layers: Layers) -> tuple[Path, Path]:
    return (layers.get("six16", X86_312, "3.12", ["six==1.16.0"]),
            layers.get("six17", X86_312, "3.12", ["six==1.17.0"]))


def test_one_distribution_at_two_versions(six_layers: tuple[Path, Path], code_dir: Path,
                                          tmp_path: Path) -> None:
    old, new = six_layers
    inputs = make_input("ApiFunction", PY312, {"LegacyLayer": old, "ModernLayer": new}, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [("SL007", "error", "Resources/ApiFunction/Layers")]
    assert findings[0].message.startswith(
        "six is in ApiFunction's layers at different versions (1.16.0 in LegacyLayer, 1.17.0 in "
        "ModernLayer): Lambda extracts layers into /opt in order, so ModernLayer (later) wins "
        "and its six 1.17.0 overwrites the earlier one's files")


def test_import_path_lets_the_later_layer_win(six_layers: tuple[Path, Path],
                                              code_dir: Path) -> None:
    """On Lambda the later layer's files overwrite the earlier's; our sys.path must agree."""
    needs_python("3.12")
    python = find_python("3.12").executable
    assert python is not None
    for order, expected in (((0, 1), "1.17.0"), ((1, 0), "1.16.0")):
        built = {f"L{i}Layer": six_layers[i] for i in order}
        inputs = make_input("ApiFunction", PY312, built, code_dir)
        ctx = make_context(inputs, ResultCache(None))
        paths = import_test.lambda_sys_path(ctx.layers_of(inputs.plan.functions[0]), "3.12")
        script = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}; import six; print(six.__version__)"
        out = subprocess.run([str(python), "-I", "-S", "-B", "-c", script], capture_output=True,
                             text=True, check=True).stdout.strip()
        assert out == expected


@pytest.fixture(scope="session")
def small_layers(layers: Layers) -> dict[str, Path]:
    built = {}
    for pin in SMALL_PINS:
        name = pin.split("==")[0].replace("-", " ").title().replace(" ", "") + "Layer"
        built[name] = layers.get(f"small-{name}", X86_312, "3.12", [pin], no_deps=True)
    return built


def test_six_layers_on_one_function(small_layers: dict[str, Path], code_dir: Path,
                                    tmp_path: Path) -> None:
    needs_python("3.12")
    inputs = make_input("ManyFunction", PY312, small_layers, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [("SL001", "error", "Resources/ManyFunction/Layers")]
    assert findings[0].message == (
        "ManyFunction has 6 layers (6 from sam-layers groups); Lambda allows 5, Globals layers "
        "included, and rejects the deploy. Merge groups (one group can hold many packages) or "
        "remove 1 layer.")


def test_globals_layers_count_and_arn_size_is_unknown(small_layers: dict[str, Path],
                                                      code_dir: Path, tmp_path: Path) -> None:
    needs_python("3.12")
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:shared:3"
    five = dict(list(small_layers.items())[:5])
    inputs = make_input("ManyFunction", PY312, five, code_dir,
                        extra=[LayerRef(arn, None, "globals")])
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [("SL001", "error", "Resources/ManyFunction/Layers"),
                                ("SL002", "warning", "Resources/ManyFunction/Layers")]
    assert findings[0].message.startswith(
        "ManyFunction has 6 layers (1 from Globals, 5 from sam-layers groups); Lambda allows 5")
    known = folder_bytes(code_dir) + sum(folder_bytes(p) for p in five.values())
    assert findings[1].message.startswith(
        f"size unknown for {arn}: the known part of ManyFunction is {known:,} of 262,144,000 "
        f"bytes unzipped.")


def test_function_over_the_unzipped_size_limit(layers: Layers, code_dir: Path,
                                               tmp_path: Path) -> None:
    needs_python("3.12")
    science = layers.get("science", X86_312, "3.12", [
        "numpy==2.5.5", "scipy==1.18.1", "pandas==3.1.1", "python-dateutil==4.0.0",
        "tzdata==2026.6"])
    ml = layers.get("ml", X86_312, "3.12", [
        "scikit-learn==1.9.1", "numpy==2.5.5", "scipy==1.18.1", "joblib==1.6.0",
        "threadpoolctl==3.8.0", "narwhals==2.29.0", "cloudpickle==3.1.3"])
    inputs = make_input("ModelFunction", PY312, {"ScienceLayer": science, "MlLayer": ml},
                        code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    where = "Resources/ModelFunction/Layers"
    assert shapes(findings) == [("SL002", "error", where), ("SL009", "info", where),
                                ("SL009", "info", where)]
    total = folder_bytes(science) + folder_bytes(ml) + folder_bytes(code_dir)
    assert total >= 262_144_000
    assert findings[0].message.startswith(
        f"ModelFunction's code and layers unzip to {total:,} bytes (ScienceLayer "
        f"{folder_bytes(science):,}, MlLayer {folder_bytes(ml):,}, code {folder_bytes(code_dir):,}); "
        f"Lambda's limit is under 262,144,000 bytes and the deploy fails. numpy, scipy are in "
        f"more than one of its layers")
    assert findings[1].message.startswith("numpy 2.5.5 is in ScienceLayer and MlLayer")
    assert findings[2].message.startswith("scipy 1.18.1 is in ScienceLayer and MlLayer")


@pytest.fixture(scope="session")
def pandas_alone(layers: Layers) -> Path:
    return layers.get("pandas", X86_312, "3.12", ["pandas==3.1.1"], no_deps=True)


def test_layer_whose_import_fails(pandas_alone: Path, code_dir: Path, tmp_path: Path) -> None:
    needs_python("3.12")
    inputs = make_input("ApiFunction", PY312, {"FrameLayer": pandas_alone}, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [("SL008", "error", "FrameLayer:python/pandas")]
    message = findings[0].message
    assert message.startswith("`import pandas` (pandas 3.1.1) fails for ApiFunction with "
                              "python3.12's CPython (")
    assert "(caused by ModuleNotFoundError: No module named 'numpy')" in message
    assert message.endswith("Add numpy to the group that builds FrameLayer (its dependency is "
                            "missing from the layers), or to a group this function uses.")


def test_import_failure_is_a_warning_when_an_unreadable_layer_may_fix_it(
        pandas_alone: Path, code_dir: Path, tmp_path: Path) -> None:
    needs_python("3.12")
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:numpy:1"
    inputs = make_input("ApiFunction", PY312, {"FrameLayer": pandas_alone}, code_dir,
                        extra=[LayerRef(arn, None, "function")])
    findings = run_verify(inputs, cache_dir=tmp_path, **HOST)
    assert shapes(findings) == [("SL002", "warning", "Resources/ApiFunction/Layers"),
                                ("SL008", "warning", "FrameLayer:python/pandas")]
    assert findings[1].message.endswith(
        f"(The function also has layers verify cannot read: {arn}; if one of them provides it, "
        f"ignore this.)")


def test_import_test_skipped_when_the_runtime_python_is_missing(clean: Path, code_dir: Path,
                                                                tmp_path: Path) -> None:
    def nowhere(version: str) -> PythonLookup:
        return PythonLookup(version, None, (f"/nowhere/versions/{version}.*/bin/python",
                                            f"python{version} on PATH"))

    inputs = make_input("ApiFunction", PY312, {"WebLayer": clean}, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, find_python=nowhere, **HOST)
    assert findings == [Finding(
        "SL008", "warning", "Resources/ApiFunction/Layers",
        "import test skipped for ApiFunction: no CPython 3.12 found (looked for "
        "/nowhere/versions/3.12.*/bin/python and python3.12 on PATH). Install CPython 3.12 "
        "(pyenv install 3.12) to import-test this function's layers.")]


def test_import_test_skipped_for_arm64_on_x86_64_host(layers: Layers, code_dir: Path,
                                                      tmp_path: Path) -> None:
    arm = layers.get("arm", "aarch64-manylinux_2_17", "3.12", ["markupsafe==3.0.4"])
    inputs = make_input("ArmFunction", ARM312, {"WebLayerArm64": arm}, code_dir)
    findings = run_verify(inputs, cache_dir=tmp_path, host=Host("x86_64", "Linux", (2, 36)))
    assert findings == [Finding(
        "SL008", "info", "Resources/ArmFunction/Layers",
        "import test skipped for ArmFunction: its layers are for python3.12/arm64 and this host "
        "is Linux x86_64; only the file checks ran. Run sam-layers verify on a Linux aarch64 "
        "machine to import-test them.")]


def test_unchanged_layers_are_verified_from_the_cache(pandas_alone: Path, code_dir: Path,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    needs_python("3.12")
    inputs = make_input("ApiFunction", PY312, {"FrameLayer": pandas_alone}, code_dir)
    first = run_verify(inputs, cache_dir=tmp_path, **HOST)

    def no_interpreter(*args: object, **kwargs: object) -> None:
        raise AssertionError("the import test ran again for unchanged layers")

    monkeypatch.setattr(import_test, "import_modules", no_interpreter)
    assert run_verify(inputs, cache_dir=tmp_path, **HOST) == first
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "verify").iterdir()) == ["import", "scan"]
