from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sam_layers.build import build_layer, build_layers, lock_specs
from sam_layers.cache import LayerCache
from sam_layers.errors import BadInput, Problem, ToolError
from sam_layers.lockfile import LockedFile, LockedPackage, LockedVariant, LockFile
from sam_layers.platforms import Target
from sam_layers.spec import LayerSpec
from sam_layers.specdir import read_spec_dir, write_spec_dir

WEB = LayerSpec("Web", Target("python3.12"), ("requests",), logical_id="WebLayer")
DATA = LayerSpec("Data", Target("python3.11", "arm64"), ("numpy",), logical_id="DataLayer")


def locked_for(spec: LayerSpec, version: str = "1.0") -> LockedVariant:
    name = spec.requirements[0]
    return LockedVariant(
        key=spec.key, runtime=spec.target.runtime, architecture=spec.target.architecture,
        input_hash=spec.input_hash, requirements=spec.requirements,
        packages=(LockedPackage(name, version, wheels=(LockedFile(
            f"{name}-{version}-py3-none-any.whl", "https://x/w.whl", "ab" * 32),)),),
    )


class FakeInstaller:
    """Stands in for uv: writes what a --target install of the locked set leaves behind."""

    name = "fake"

    def __init__(self, fail: bool = False) -> None:
        self.installs: list[str] = []
        self.resolves: list[str] = []
        self.fail = fail
        self.lock = threading.Lock()

    def resolve(self, spec: LayerSpec) -> LockedVariant:
        with self.lock:
            self.resolves.append(spec.key)
        if spec.requirements == ("conflict",):
            raise BadInput(Problem("cannot be resolved", where=spec.key))
        return locked_for(spec)

    def install(self, locked: LockedVariant, target_dir: Path) -> None:
        with self.lock:
            self.installs.append(locked.key)
        for pkg in locked.packages:
            (target_dir / pkg.name / "tests").mkdir(parents=True)
            (target_dir / pkg.name / "__init__.py").write_text(f"VERSION = {pkg.version!r}\n")
            (target_dir / pkg.name / "tests" / "test_it.py").write_text("x = 1\n" * 100)
            (target_dir / f"{pkg.name}-{pkg.version}.dist-info").mkdir()
            (target_dir / f"{pkg.name}-{pkg.version}.dist-info" / "RECORD").write_text("r\n")
        (target_dir / ".lock").write_text("")
        if self.fail:
            raise ToolError("uv exploded halfway")


def test_cold_then_up_to_date_then_cache_hit(tmp_path: Path) -> None:
    cache, inst = LayerCache(tmp_path / "cache"), FakeInstaller()
    out = tmp_path / "build" / "WebLayer"
    zip_path = tmp_path / "build" / "WebLayer.zip"
    cold = build_layer(WEB, locked_for(WEB), out, zip_path=zip_path, cache=cache, installer=inst)
    assert (cold.cache_hit, cold.up_to_date) == (False, False)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "python/requests-1.0.dist-info/RECORD", "python/requests/__init__.py"]
    assert cold.raw_bytes == 600 + 16 + 2
    assert cold.unzipped_bytes == 16 + 2
    assert cold.zipped_bytes == zip_path.stat().st_size
    first_zip = zip_path.read_bytes()

    warm = build_layer(WEB, locked_for(WEB), out, zip_path=zip_path, cache=cache, installer=inst)
    assert (warm.cache_hit, warm.up_to_date) == (True, True)
    assert inst.installs == ["Web/python3.12/x86_64"]

    (out / "python" / "requests" / "__init__.py").unlink()  # output damaged: restored from cache
    again = build_layer(WEB, locked_for(WEB), out, zip_path=zip_path, cache=cache, installer=inst)
    assert (again.cache_hit, again.up_to_date) == (True, False)
    assert (out / "python" / "requests" / "__init__.py").read_text() == "VERSION = '1.0'\n"
    assert zip_path.read_bytes() == first_zip
    assert inst.installs == ["Web/python3.12/x86_64"]
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == [
        ".WebLayer.sam-layers.json", "WebLayer", "WebLayer.zip"]


def test_new_pins_rebuild(tmp_path: Path) -> None:
    cache, inst = LayerCache(tmp_path / "cache"), FakeInstaller()
    build_layer(WEB, locked_for(WEB), tmp_path / "o", cache=cache, installer=inst)
    result = build_layer(WEB, locked_for(WEB, "2.0"), tmp_path / "o", cache=cache, installer=inst)
    assert result.cache_hit is False
    assert (tmp_path / "o/python/requests/__init__.py").read_text() == "VERSION = '2.0'\n"


def test_failed_install_leaves_no_cache_entry_and_no_output(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path / "cache")
    with pytest.raises(ToolError, match="uv exploded halfway"):
        build_layer(WEB, locked_for(WEB), tmp_path / "o", zip_path=tmp_path / "o.zip",
                    cache=cache, installer=FakeInstaller(fail=True))
    assert list((tmp_path / "cache" / "layers").iterdir()) == []
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.zip").exists()


def test_stale_lock_entry_is_bad_input(tmp_path: Path) -> None:
    other = LayerSpec("Web", Target("python3.12"), ("requests>=3",), logical_id="WebLayer")
    with pytest.raises(BadInput, match="stale"):
        build_layer(other, locked_for(WEB), tmp_path / "o", cache=LayerCache(tmp_path),
                    installer=FakeInstaller())


def test_build_layers_parallel_layout_and_progress(tmp_path: Path) -> None:
    events: list[tuple[str, str]] = []
    results = build_layers([(WEB, locked_for(WEB)), (DATA, locked_for(DATA))], tmp_path / "b",
                           jobs=2, cache=LayerCache(tmp_path / "c"), installer=FakeInstaller(),
                           progress=lambda spec, event, _r: events.append((spec.logical_id, event)))
    assert [r.logical_id for r in results] == ["WebLayer", "DataLayer"]
    assert sorted(events) == [("DataLayer", "done"), ("DataLayer", "start"),
                              ("WebLayer", "done"), ("WebLayer", "start")]
    assert (tmp_path / "b/DataLayer/python/numpy/__init__.py").is_file()
    assert (tmp_path / "b/WebLayer.zip").is_file()


def test_lock_specs_resolves_only_stale_and_drops_obsolete() -> None:
    inst = FakeInstaller()
    gone = LayerSpec("Gone", Target("python3.12"), ("x",))
    existing = LockFile({WEB.key: locked_for(WEB, "0.9"), gone.key: locked_for(gone)})
    lock = lock_specs([WEB, DATA], existing, inst)
    assert inst.resolves == ["Data/python3.11/arm64"]
    assert sorted(lock.variants) == ["Data/python3.11/arm64", "Web/python3.12/x86_64"]
    assert lock.variants[WEB.key].packages[0].version == "0.9"


def test_lock_specs_reports_every_bad_group_at_once() -> None:
    a = LayerSpec("A", Target("python3.12"), ("conflict",))
    b = LayerSpec("B", Target("python3.12"), ("conflict",))
    with pytest.raises(BadInput) as err:
        lock_specs([a, b], None, FakeInstaller())
    assert [p.where for p in err.value.problems] == ["A/python3.12/x86_64", "B/python3.12/x86_64"]


def test_spec_dir_round_trip(tmp_path: Path) -> None:
    write_spec_dir(tmp_path, WEB, locked_for(WEB))
    spec, locked = read_spec_dir(tmp_path)
    assert spec == WEB and locked == locked_for(WEB)
    data = json.loads((tmp_path / "layer.json").read_text())
    assert data["locked"]["key"] == "Web/python3.12/x86_64"
    assert (tmp_path / "requirements.txt").read_text().splitlines()[1:] == [
        "requests==1.0 \\", f"    --hash=sha256:{'ab' * 32}"]
    write_spec_dir(tmp_path, WEB, None)
    assert read_spec_dir(tmp_path) == (WEB, None)
    assert (tmp_path / "requirements.txt").read_text() == "requests\n"


def test_build_layer_command_bad_folder_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "sam_layers", "build-layer", "--spec-dir",
                           str(tmp_path), "--artifacts-dir", str(tmp_path / "a")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr == (f"error: {tmp_path / 'layer.json'}: no layer.json here: this is not a "
                           "sam-layers build folder; re-run `sam-layers transform` or "
                           "`sam-layers build`\n")
