"""Real wheels from PyPI through uv, real runtime CPythons: layers that import on Lambda.

Downloads go to ``UV_CACHE_DIR`` (the Makefile points it at the project's ``.cache/uv``); the
layer cache is a fresh folder per session, so the first build of each variant is a real install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from sam_layers.build import BuildResult, build_layer, build_layers, lock_specs
from sam_layers.cache import LayerCache
from sam_layers.elf import read_elf
from sam_layers.errors import BadInput, ToolError
from sam_layers.installer import PipInstaller, UvInstaller
from sam_layers.lockfile import LockedVariant, LockFile
from sam_layers.platforms import Target
from sam_layers.spec import LayerSpec
from sam_layers.specdir import write_spec_dir
from sam_layers.verify.pythons import find_python
from tests.support.elfbytes import elf_files, elf_machine

pytestmark = pytest.mark.integration

RUNTIMES = ("python3.11", "python3.12")
ARCHES = ("x86_64", "arm64")
GROUPS = {"Web": ("requests",), "Data": ("pandas", "numpy"), "NewNumpy": ("numpy>=2.3",)}
IMPORTS = {"Web": "requests", "Data": "pandas", "NewNumpy": "numpy"}


def logical_id(group: str, runtime: str, arch: str) -> str:
    return f"{group}Layer{runtime.replace('python3.', 'Python3')}{'Arm64' if arch == 'arm64' else 'X86'}"


def make_spec(group: str, runtime: str, arch: str) -> LayerSpec:
    return LayerSpec(group, Target(runtime, arch), GROUPS[group],
                     logical_id=logical_id(group, runtime, arch))


SPECS = [make_spec(g, r, a) for g in GROUPS for r in RUNTIMES for a in ARCHES
         if not (g == "NewNumpy" and r == "python3.11")]


def runtime_python(runtime: str) -> str:
    lookup = find_python(runtime[len("python"):])
    if lookup.executable is None:
        pytest.skip(f"no CPython for {runtime} in {', '.join(lookup.looked_in)}")
    return str(lookup.executable)


class CountingInstaller(UvInstaller):
    def __init__(self) -> None:
        super().__init__()
        self.installs = 0

    def install(self, locked: LockedVariant, target_dir: Path) -> None:
        self.installs += 1
        super().install(locked, target_dir)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("layers")
    # Keep uv's download cache where the project keeps it; everything else is this session's.
    if not os.environ.get("UV_CACHE_DIR"):
        os.environ["UV_CACHE_DIR"] = str(root / "uv-cache")
    yield root


@pytest.fixture(scope="session")
def lock(workdir: Path) -> LockFile:
    return lock_specs(SPECS, None, UvInstaller())


@pytest.fixture(scope="session")
def built(workdir: Path, lock: LockFile) -> dict[str, BuildResult]:
    items = [(s, lock.variants[s.key]) for s in SPECS]
    results = build_layers(items, workdir / "build", jobs=2, cache=LayerCache(workdir / "cache"))
    return {r.logical_id: r for r in results}


@pytest.mark.parametrize("spec", [s for s in SPECS if s.target.architecture == "x86_64"],
                         ids=lambda s: s.logical_id)
def test_x86_64_layer_imports_in_isolation_with_the_runtime_python(
        spec: LayerSpec, built: dict[str, BuildResult]) -> None:
    layer = built[spec.logical_id].python_dir
    module = IMPORTS[spec.group]
    code = (f"import sys; sys.path.insert(0, {str(layer)!r}); import {module}\n"
            f"if {module!r} != 'requests': import numpy.testing, numpy\n"
            f"print({module}.__file__); print({module}.__version__)")
    proc = subprocess.run([runtime_python(spec.target.runtime), "-I", "-B", "-c", code],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    where, version = proc.stdout.split()
    assert where.startswith(str(layer) + os.sep)
    if spec.group == "NewNumpy":
        assert tuple(int(p) for p in version.split(".")[:2]) >= (2, 3)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.target.architecture == "arm64"
                                  and s.group != "Web"], ids=lambda s: s.logical_id)
def test_arm64_layers_hold_only_aarch64_elf_files(spec: LayerSpec, built: dict[str, BuildResult]) -> None:
    files = elf_files(built[spec.logical_id].python_dir)
    assert len(files) > 10
    assert {elf_machine(p) for p in files} == {183}  # EM_AARCH64


@pytest.mark.parametrize("spec", [s for s in SPECS if s.target.runtime == "python3.11"
                                  and s.group != "Web"], ids=lambda s: s.logical_id)
def test_python311_layers_need_no_glibc_above_2_26(spec: LayerSpec, built: dict[str, BuildResult]) -> None:
    needed = {}
    for path in elf_files(built[spec.logical_id].python_dir):
        info = read_elf(path)
        assert info is not None
        if info.max_glibc:
            needed[path.name] = info.max_glibc
    assert needed, "expected extension modules that link glibc"
    assert max(needed.values()) <= (2, 26), {k: v for k, v in needed.items() if v > (2, 26)}


def test_python311_gets_wheels_between_uvs_manylinux_levels(lock: LockFile) -> None:
    # pandas 3 ships manylinux_2_24 wheels (AL2's glibc 2.26 runs them); uv knows only 2_17
    # and 2_28, so the resolver works at 2_28 and caps numpy at its newest manylinux2014 wheel.
    for arch in ARCHES:
        locked = lock.variants[make_spec("Data", "python3.11", arch).key]
        versions = {p.name: p.version for p in locked.packages}
        assert int(versions["pandas"].split(".")[0]) >= 3
        assert tuple(int(x) for x in versions["numpy"].split(".")[:2]) < (2, 3)
        pandas_wheels = [w.name for p in locked.packages if p.name == "pandas" for w in p.wheels]
        assert pandas_wheels and all("manylinux_2_24" in w for w in pandas_wheels)


def test_numpy_2_3_on_python311_is_a_clear_error(workdir: Path) -> None:
    for arch, machine in (("x86_64", "x86_64"), ("arm64", "aarch64")):
        spec = make_spec("NewNumpy", "python3.11", arch)
        with pytest.raises(BadInput) as err:
            UvInstaller().resolve(spec)
        message = str(err.value)
        assert message.startswith(f"NewNumpy/python3.11/{arch}: package numpy ")
        assert re.search(r"has wheels only for a newer glibc \(manylinux_2_2[78]\) than", message)
        assert f"python3.11/{arch} (Amazon Linux 2, glibc 2.26, CPython 3.11, {machine})" in message
        assert "--use-container would not help either" in message


def test_slimmed_layer_keeps_test_helpers_and_drops_suites(built: dict[str, BuildResult]) -> None:
    result = built[logical_id("Data", "python3.12", "x86_64")]
    python = result.python_dir
    assert not (python / "pandas" / "tests").exists()
    assert not (python / "numpy" / "_core" / "tests").exists()
    assert not list(python.rglob("__pycache__"))
    assert not (python / "bin").exists() and not (python / ".lock").exists()
    assert result.unzipped_bytes < result.raw_bytes * 0.85


def test_zips_are_byte_identical_across_builds(workdir: Path, lock: LockFile,
                                               built: dict[str, BuildResult]) -> None:
    for spec in (make_spec("Web", "python3.12", "x86_64"), make_spec("Data", "python3.12", "arm64")):
        first = built[spec.logical_id].zip_path
        assert first is not None
        again = build_layer(spec, lock.variants[spec.key], workdir / "again" / spec.logical_id,
                            zip_path=workdir / "again" / f"{spec.logical_id}.zip",
                            cache=LayerCache(workdir / "other-cache"))
        assert again.cache_hit is False
        assert (workdir / "again" / f"{spec.logical_id}.zip").read_bytes() == first.read_bytes()


def test_warm_rebuild_is_a_cache_hit_without_install(workdir: Path, lock: LockFile,
                                                     built: dict[str, BuildResult]) -> None:
    items = [(s, lock.variants[s.key]) for s in SPECS]
    installer = CountingInstaller()
    warm = build_layers(items, workdir / "build", cache=LayerCache(workdir / "cache"), installer=installer)
    assert [(r.cache_hit, r.up_to_date) for r in warm] == [(True, True)] * len(SPECS)
    fresh = build_layers(items, workdir / "fresh", cache=LayerCache(workdir / "cache"), installer=installer)
    assert [(r.cache_hit, r.up_to_date) for r in fresh] == [(True, False)] * len(SPECS)
    assert installer.installs == 0
    for r in fresh:
        assert r.zip_path is not None and r.zip_path.read_bytes() == built[r.logical_id].zip_path.read_bytes()  # type: ignore[union-attr]


def test_runtime_provided_packages_are_left_out_unless_named(workdir: Path) -> None:
    implicit = LayerSpec("Aws", Target("python3.12"), ("boto3-stubs[s3]", "aws-xray-sdk"))
    explicit = LayerSpec("Aws", Target("python3.12"), ("boto3==1.35.0",), explicit=frozenset({"boto3"}))
    names = {p.name for p in UvInstaller().resolve(implicit).packages}
    assert {"boto3", "botocore", "s3transfer", "jmespath"} & names == set()
    assert {"aws-xray-sdk", "boto3-stubs", "wrapt"} <= names
    names = {p.name: p.version for p in UvInstaller().resolve(explicit).packages}
    assert names["boto3"] == "1.35.0"
    # Naming boto3 keeps the whole SDK, at the versions that boto3 needs.
    assert names["botocore"].startswith("1.35.")
    assert {"s3transfer", "jmespath"} <= set(names)


def test_markers_are_evaluated_for_the_target(workdir: Path) -> None:
    reqs = ("tomli==2.0.1; python_version < '3.12'", "six==1.16.0; platform_machine == 'aarch64'")
    def names(runtime: str, arch: str) -> list[str]:
        spec = LayerSpec("M", Target(runtime, arch), reqs)
        return [p.name for p in UvInstaller().resolve(spec).packages]
    assert names("python3.11", "x86_64") == ["tomli"]
    assert names("python3.12", "arm64") == ["six"]


def test_pure_python_sdist_is_built_on_the_host(workdir: Path) -> None:
    spec = LayerSpec("Cli", Target("python3.12", "arm64"), ("docopt==0.6.2",), logical_id="CliLayer")
    locked = UvInstaller().resolve(spec)
    assert [(p.name, p.built_on_host) for p in locked.packages] == [("docopt", True)]
    result = build_layer(spec, locked, workdir / "sdist", cache=LayerCache(workdir / "cache"))
    assert (result.python_dir / "docopt.py").is_file()
    assert elf_files(result.python_dir) == []


def test_native_sdist_is_an_error_suggesting_the_container(workdir: Path) -> None:
    spec = LayerSpec("Net", Target("python3.12"), ("netifaces==0.11.0",))
    with pytest.raises(BadInput) as err:
        UvInstaller().resolve(spec)
    message = str(err.value)
    assert message.startswith("Net/python3.12/x86_64: package netifaces 0.11.0 has no wheel for "
                              "python3.12/x86_64 (Amazon Linux 2023, glibc 2.34, CPython 3.12, x86_64)")
    assert "--use-container" in message


def test_conflict_is_bad_input_quoting_uv(workdir: Path) -> None:
    spec = LayerSpec("Web", Target("python3.12"), ("requests==2.31.0", "requests==2.32.0"))
    with pytest.raises(BadInput) as err:
        UvInstaller().resolve(spec)
    assert "Because you require requests==2.31.0 and requests==2.32.0" in str(err.value)


def test_unreachable_registry_is_one_tool_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UV_INDEX_URL", "UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("UV_DEFAULT_INDEX", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(ToolError) as err:
        UvInstaller().resolve(LayerSpec("Web", Target("python3.12"), ("requests",)))
    assert str(err.value).startswith("Web/python3.12/x86_64: cannot reach the package index while "
                                     "resolving Web/python3.12/x86_64 (uv: error: Failed to fetch: "
                                     "http://127.0.0.1:9/simple/requests/ | cause: Connection refused")


def test_build_layer_hook_command(workdir: Path, lock: LockFile, built: dict[str, BuildResult]) -> None:
    spec = make_spec("Web", "python3.12", "x86_64")
    env = {**os.environ, "SAM_LAYERS_CACHE_DIR": str(workdir / "cache")}
    for locked in (lock.variants[spec.key], None):
        folder = workdir / f"hook-{'locked' if locked else 'unlocked'}"
        folder.mkdir()
        write_spec_dir(folder, spec, locked)
        artifacts = workdir / f"artifacts-{folder.name}"
        proc = subprocess.run([sys.executable, "-m", "sam_layers", "build-layer", "--spec-dir", ".",
                               "--artifacts-dir", str(artifacts)], cwd=folder, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        line = proc.stderr.strip()
        assert line.startswith(f"sam-layers: {spec.logical_id} (Web/python3.12/x86_64): 5 packages, ")
        assert ("cache hit" in line) is True
        assert ("resolved without a lock" in line) is (locked is None)
        assert sorted(p.name for p in artifacts.iterdir()) == ["python"]
        assert (artifacts / "python" / "requests" / "__init__.py").is_file()


def test_pip_installer_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("pip") is None and subprocess.run([sys.executable, "-m", "pip", "--version"],
                                                      capture_output=True).returncode != 0:
        pytest.skip("pip is not installed")
    monkeypatch.setenv("PIP_CACHE_DIR", str(Path(os.environ["UV_CACHE_DIR"]).parent / "pip-cache"))
    spec = LayerSpec("Web", Target("python3.12", "arm64"), ("charset-normalizer==3.4.2",))
    pip = PipInstaller()
    locked = pip.resolve(spec)
    assert [p.name for p in locked.packages] == ["charset-normalizer"]
    wheel = locked.packages[0].wheels[0].name
    assert wheel.startswith("charset_normalizer-3.4.2-cp312-cp312-manylinux")
    assert "aarch64" in wheel
    pip.install(locked, tmp_path / "python")
    files = elf_files(tmp_path / "python")
    assert files and {elf_machine(p) for p in files} == {183}
    json.dumps(locked.to_json())
