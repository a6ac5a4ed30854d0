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


def test_modules_come_from_record_and_exist(tmp_path: Path) -> None:
    from sam_layers.verify.cache import ResultCache
    from sam_layers.verify.scan import scan_layer

    python = tmp_path / "python"
    info = python / "demo-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo\nVersion: 1.0\n\nbody\n")
    (info / "RECORD").write_text(
        "demo/__init__.py,,\n_demo_speedups.cpython-312-x86_64-linux-gnu.so,,\nsolo.py,,\n"
        "gone/__init__.py,,\ntests/__init__.py,,\ndemo.pth,,\n../../bin/demo,,\n"
        "demo-1.0.dist-info/RECORD,,\n")
    (python / "demo").mkdir()
    (python / "demo" / "__init__.py").write_text("")
    (python / "_demo_speedups.cpython-312-x86_64-linux-gnu.so").write_bytes(b"not elf")
    (python / "solo.py").write_text("")
    (python / "tests").mkdir()
    (python / "tests" / "__init__.py").write_text("")
    scan = scan_layer(tmp_path, ResultCache(None))
    assert [(d.name, d.version, d.dist_info, d.modules) for d in scan.distributions] == [
        ("Demo", "1.0", "python/demo-1.0.dist-info", ("_demo_speedups", "demo", "solo"))]
    assert [(b.path, b.machine, b.distribution) for b in scan.binaries] == [
        ("python/_demo_speedups.cpython-312-x86_64-linux-gnu.so", None, "demo")]


def test_a_non_elf_shared_object_is_reported(tmp_path: Path) -> None:
    layer = tmp_path / "layer"
    (layer / "python" / "fast").mkdir(parents=True)
    (layer / "python" / "fast" / "__init__.py").write_text("")
    # A Mach-O bundle, as a macOS wheel would ship: magic 0xfeedfacf.
    (layer / "python" / "fast" / "_core.cpython-312-darwin.so").write_bytes(
        b"\xcf\xfa\xed\xfe" + b"\0" * 60)
    spec = LayerSpec("Fast", PY312, ("fast",), "FastLayer")
    fn = FunctionPlan("ApiFunction", PY312, ("Fast",), ("FastLayer",),
                      (LayerRef("!Ref FastLayer", "FastLayer", "injected"),), None)
    inputs = VerifyInput(Plan((LayerVariant("FastLayer", "Fast", PY312, "", spec),), (fn,)),
                         {"FastLayer": BuiltLayer("FastLayer", layer)}, {"ApiFunction": tmp_path})
    findings = run_verify(inputs, skip_import=True, use_cache=False)
    assert [(f.id, f.location) for f in findings] == [
        ("SL004", "FastLayer:python/fast/_core.cpython-312-darwin.so"),
        ("SL006", "FastLayer:python/fast/_core.cpython-312-darwin.so")]
    assert findings[0].message.startswith(
        "fast: this binary is not a Linux ELF file (a macOS or Windows build?), but the layer "
        "runs on x86_64")
    assert findings[1].message.startswith(
        "fast: this extension module is named for darwin (cpython-312-darwin), not "
        "x86_64-linux-gnu; Python will not load it")


@pytest.mark.parametrize("name,machine,why", [
    ("m.cpython-312-x86_64-linux-gnu.so", "EM_X86_64", None),
    ("m.abi3.so", "EM_X86_64", None),
    ("m.so", "EM_X86_64", None),
    ("libfoo-1a2b3c.so.1.2", "EM_X86_64", None),
    ("m.cpython-311-x86_64-linux-gnu.so", "EM_X86_64",
     "is built for CPython 3.11 (cpython-311-x86_64-linux-gnu), but the function runs python3.12"),
    ("m.cpython-312t-x86_64-linux-gnu.so", "EM_X86_64",
     "is built for a free-threaded CPython (cpython-312t-x86_64-linux-gnu); Lambda's CPython is "
     "the default build"),
    ("m.cp312-win_amd64.pyd", None, "is a Windows extension module (.pyd)"),
    ("m.pypy310-pp73-x86_64-linux-gnu.so", "EM_X86_64",
     "is built for PyPy (pypy310-pp73-x86_64-linux-gnu), Lambda runs CPython"),
    ("m.cpython-312-aarch64-linux-gnu.so", "EM_AARCH64", None),  # SL004 reports it
    ("m.cpython-312-aarch64-linux-gnu.so", "EM_X86_64",
     "is named for aarch64-linux-gnu (cpython-312-aarch64-linux-gnu), not x86_64-linux-gnu"),
])
def test_extension_module_names(name: str, machine: object, why: object) -> None:
    from sam_layers.verify.rules.extension_abi import problem
    from sam_layers.verify.scan import Binary

    binary = Binary(f"python/pkg/{name}", 1, machine if isinstance(machine, str) else None,
                    None, None)
    assert problem(binary, PY312) == why


def test_an_import_failing_on_an_older_host_glibc_is_only_info() -> None:
    from sam_layers.verify.imports import ImportFailure
    from sam_layers.verify.rules import import_test
    from sam_layers.verify.scan import Distribution

    fn = _plan().functions[0]
    error = ("ImportError: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found "
             "(required by /p/numpy/_core/_multiarray_umath.so)")
    owner = ("DataLayer", Distribution("numpy", "2.5.5", "python/numpy-2.5.5.dist-info",
                                       ("numpy",)), "python")
    old = import_test._finding(fn, ImportFailure("numpy", error), owner, [], Path("/py"), (2, 31))
    assert (old.id, old.severity, old.location) == ("SL008", "info", "DataLayer:python/numpy")
    assert old.message.endswith(
        "This host's glibc 2.31 is older than python3.12's 2.34, so this failure says nothing "
        "about Lambda (SL005 checks the glibc the layer needs); import-test on a newer Linux.")
    new = import_test._finding(fn, ImportFailure("numpy", error), owner, [], Path("/py"), (2, 36))
    assert new.severity == "error"


def test_current_host() -> None:
    import platform

    from sam_layers.verify import Host

    host = Host.current()
    assert (host.machine, host.system) == (platform.machine(), platform.system())
    if platform.libc_ver()[0] == "glibc":
        assert host.glibc == tuple(int(p) for p in platform.libc_ver()[1].split(".")[:2])


def test_lambda_path_puts_site_packages_first_then_latest_layer_first(tmp_path: Path) -> None:
    from sam_layers.verify.cache import ResultCache
    from sam_layers.verify.context import make_context
    from sam_layers.verify.rules import import_test

    first, second = tmp_path / "first", tmp_path / "second"
    (first / "python" / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    (first / "python" / "lib" / "python3.11" / "site-packages").mkdir(parents=True)
    (second / "python").mkdir(parents=True)
    refs = (LayerRef("!Ref FirstLayer", "FirstLayer", "injected"),
            LayerRef("!Ref SecondLayer", "SecondLayer", "injected"))
    fn = FunctionPlan("ApiFunction", PY312, (), ("FirstLayer", "SecondLayer"), refs)
    inputs = VerifyInput(Plan((), (fn,)), {"FirstLayer": BuiltLayer("FirstLayer", first),
                                           "SecondLayer": BuiltLayer("SecondLayer", second)})
    ctx = make_context(inputs, ResultCache(None))
    assert import_test.lambda_sys_path(ctx.layers_of(fn), "3.12") == [
        first / "python" / "lib" / "python3.12" / "site-packages", second / "python",
        first / "python"]
