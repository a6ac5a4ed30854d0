"""Helpers for the verify tests: build real layers with uv, and plans around them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Optional, Sequence

import pytest

from sam_layers.plan import FunctionPlan, LayerRef, LayerVariant, Plan
from sam_layers.platforms import Target
from sam_layers.spec import LayerSpec
from sam_layers.verify import BuiltLayer, VerifyInput

REPO = Path(__file__).resolve().parents[2]


def _uv() -> str:
    here = Path(sys.executable).parent / "uv"
    found = str(here) if here.exists() else shutil.which("uv")
    if not found:
        pytest.skip("uv is not installed (make venv installs it)")
    return found


def _uv_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("UV_CACHE_DIR", str(REPO / ".cache" / "uv"))
    return env


def build_layer(root: Path, platform: str, python: str, packages: Sequence[str],
                no_deps: bool = False) -> Path:
    """``uv pip install --target root/python`` for a Lambda platform; returns ``root``."""
    cmd = [_uv(), "pip", "install", "--quiet", "--target", str(root / "python"),
           "--python-platform", platform, "--python-version", python, "--only-binary", ":all:"]
    if no_deps:
        cmd.append("--no-deps")
    subprocess.run(cmd + list(packages), check=True, env=_uv_env())
    return root


class Layers:
    """Session-wide factory: each named layer is built once, on first use."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.built: dict[str, Path] = {}

    def get(self, name: str, platform: str, python: str, packages: Sequence[str],
            no_deps: bool = False) -> Path:
        if name not in self.built:
            self.built[name] = build_layer(self.base / name, platform, python, packages, no_deps)
        return self.built[name]


def variant(logical_id: str, target: Target) -> LayerVariant:
    group = logical_id[: -len("Layer")] if logical_id.endswith("Layer") else logical_id
    return LayerVariant(logical_id, group, target, "",
                        LayerSpec(group, target, (f"{group.lower()}-requirements",), logical_id))


def make_input(function: str, target: Target, built: dict[str, Path], code: Optional[Path],
               extra: Sequence[LayerRef] = (), zips: Optional[dict[str, Path]] = None
               ) -> VerifyInput:
    """One function using the given generated layers (in order), plus ``extra`` refs after them."""
    ids = tuple(built)
    refs = tuple(LayerRef(f"!Ref {lid}", lid, "injected") for lid in ids) + tuple(extra)
    fn = FunctionPlan(function, target, tuple(variant(lid, target).group for lid in ids), ids,
                      refs, "src")
    plan = Plan(tuple(variant(lid, target) for lid in ids), (fn,))
    zips = zips or {}
    return VerifyInput(plan, {lid: BuiltLayer(lid, path, zips.get(lid)) for lid, path in built.items()},
                       {function: code} if code else {})


def stored_zip(folder: Path, out: Path) -> Path:
    """A layer zip without compression (fast; size is what SL003 reads)."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return out


def tree_state(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in folder.rglob("*"))


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())

