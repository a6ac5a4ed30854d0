"""Benchmark: sam-layers' layer builds against pip --platform and SAM's own python3.12 build.

Builds the quickstart's groups (``templates/quickstart``; else Web = requests, Data =
pandas + numpy inline), python3.12 x86_64, with warm package caches, and prints, measured in
this one run:

- sam-layers cold build into the layer folders (package cache warm, layer cache empty),
- the zip of each layer (level 6, threads) against Python's zipfile at level 9,
- warm rebuild of the whole quickstart as one process (``sam-layers build --no-sam``),
- ``pip install --platform ... --only-binary=:all: --target`` of the same groups,
- ``sam build`` with ``BuildMethod: python3.12`` layers of the same pins, and ``--cached``,
- ``sam build`` of sam-layers' generated template (the makefile hook), and ``--cached``,
- sizes unzipped before and after slimming, and zipped.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/build_bench.py [--bytecode]``). Needs network to PyPI
for the first run only; uses UV_CACHE_DIR / PIP_CACHE_DIR under ``.cache/`` by default.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sam_layers.build import build_layer  # noqa: E402
from sam_layers.cache import LayerCache  # noqa: E402
from sam_layers.lockfile import LockedVariant  # noqa: E402
from sam_layers.platforms import Target, pip_platforms  # noqa: E402
from sam_layers.slim import NO_SLIM, tree_size  # noqa: E402
from sam_layers.spec import LayerSpec  # noqa: E402
from sam_layers.zipper import write_zip  # noqa: E402

BIN = Path(sys.executable).parent
QUICKSTART = ROOT / "templates" / "quickstart"
TARGET = Target("python3.12", "x86_64")
INLINE_GROUPS = {"Web": ("requests>=2.32",), "Data": ("pandas>=2.2", "numpy>=2")}


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run(cmd: Sequence[str], *, cwd: Optional[Path] = None, env: Optional[dict[str, str]] = None,
        check: bool = True) -> float:
    start = time.perf_counter()
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if check and proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-3000:]}\n"
                         f"{proc.stderr[-3000:]}")
    return seconds


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def python312_bin() -> str:
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    found = sorted(glob.glob(f"{root}/versions/3.12.*/bin"))
    if not found:
        raise SystemExit("no CPython 3.12 under $(pyenv root)/versions: SAM's python3.12 build needs it")
    return found[-1]


def main() -> None:
    env = dict(os.environ)
    env.setdefault("UV_CACHE_DIR", str(ROOT / ".cache" / "uv"))
    env.setdefault("PIP_CACHE_DIR", str(ROOT / ".cache" / "pip"))
    env["SAM_CLI_TELEMETRY"] = "0"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # --bytecode: let every tool (sam-layers, sam, pip) write and use .pyc files, as users'
    # installs do; without them each process compiles its imports again (~0.18 s for
    # sam-layers, more for sam). Default: the environment as it is.
    dont_write = env.pop("PYTHONDONTWRITEBYTECODE", None) if "--bytecode" in sys.argv[1:] else None
    os.environ.update({k: env[k] for k in ("UV_CACHE_DIR", "PIP_CACHE_DIR")})
    work = Path(tempfile.mkdtemp(prefix="sam-layers-bench-"))
    env["SAM_LAYERS_CACHE_DIR"] = str(work / "layer-cache-warmup")
    rows: list[tuple[str, str]] = []
    print(f"work folder {work}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}"
          + ("; PYTHONDONTWRITEBYTECODE unset for the tools" if dont_write else ""))

    # --- the project: quickstart copy, locked ---------------------------------------------
    project = work / "quickstart"
    if QUICKSTART.is_dir():
        shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns(".sam-layers", ".aws-sam",
                                                                            "sam-layers.lock"))
        template = project / "template.yaml"
        sam_layers = [str(BIN / "sam-layers")]
        lock_s = run([*sam_layers, "lock", "-t", str(template)], env=env)
        from sam_layers.lockfile import read_lock
        from sam_layers.project import load_project

        proj = load_project(template)
        specs = list(proj.specs)
        lock = read_lock(project / "sam-layers.lock")
        print(f"groups from {QUICKSTART.relative_to(ROOT)}; lock took {lock_s:.2f} s")
    else:
        from sam_layers.build import lock_specs

        template = None
        specs = [LayerSpec(g, TARGET, reqs, logical_id=f"{g}Layer") for g, reqs in INLINE_GROUPS.items()]
        lock = lock_specs(specs, None)
        print("templates/quickstart missing: inline groups Web = requests, Data = pandas + numpy")
    locked: dict[str, LockedVariant] = {}
    for spec in specs:
        entry = lock.get(spec.key)
        assert entry is not None
        locked[spec.logical_id] = entry
        print(f"  {spec.logical_id}: {', '.join(entry.pins())}")

    # --- warm the package caches: one throwaway build of each kind -------------------------
    for spec in specs:
        build_layer(spec, locked[spec.logical_id], work / "warmup" / spec.logical_id,
                    cache=LayerCache(work / "layer-cache-warmup"))
    pip_cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
               "--python-version", "3.12", "--implementation", "cp", "--abi", "cp312",
               "--only-binary=:all:", *[a for p in pip_platforms(TARGET) for a in ("--platform", p)]]
    for spec in specs:
        run([*pip_cmd, "--target", str(work / "pip-warmup" / spec.logical_id), *spec.requirements], env=env)

    # --- sam-layers cold: empty layer cache, warm package cache ---------------------------
    cold_cache = LayerCache(work / "layer-cache-cold")
    cold_total = 0.0
    results = {}
    for spec in specs:
        seconds, result = timed(lambda: build_layer(spec, locked[spec.logical_id],
                                                    work / "cold" / spec.logical_id, cache=cold_cache))
        cold_total += seconds
        results[spec.logical_id] = result
    rows.append(("sam-layers cold build into folders (all groups)", f"{cold_total:.2f} s"))

    # --- zips: level 6 in threads vs zipfile level 9 ---------------------------------------
    zip_total = 0.0
    for spec in specs:
        folder = work / "cold" / spec.logical_id / "python"
        # Best of 3: the machine is shared, and one slow run says more about it than about us.
        runs = [timed(lambda: write_zip(folder, work / "zips" / f"{spec.logical_id}.zip"))
                for _ in range(3)]
        seconds, z = min(runs, key=lambda r: r[0])
        zip_total += seconds
        lvl9 = work / "zips" / f"{spec.logical_id}-level9.zip"
        start = time.perf_counter()
        with zipfile.ZipFile(lvl9, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, "python/" + path.relative_to(folder).as_posix())
        lvl9_s = time.perf_counter() - start
        ours = z.bytes_out  # type: ignore[attr-defined]
        rows.append((f"zip {spec.logical_id}: level 6 / {os.cpu_count()} threads, best of 3",
                     f"{seconds:.2f} s, {mb(ours)} ({(ours / lvl9.stat().st_size - 1) * 100:+.2f}% "
                     f"vs zipfile level 9: {mb(lvl9.stat().st_size)} in {lvl9_s:.2f} s)"))
    rows.append(("zip all groups", f"{zip_total:.2f} s"))

    # --- sizes: raw vs slimmed -------------------------------------------------------------
    for spec in specs:
        raw_dir = work / "raw" / spec.logical_id
        build_layer(spec, locked[spec.logical_id], raw_dir, cache=LayerCache(work / "layer-cache-raw"),
                    slim_options=NO_SLIM)
        raw = tree_size(raw_dir / "python")
        raw_zip = write_zip(raw_dir / "python", work / "zips" / f"{spec.logical_id}-raw.zip").bytes_out
        r = results[spec.logical_id]
        rows.append((f"size {spec.logical_id}: raw -> slimmed unzipped",
                     f"{mb(raw)} -> {mb(r.unzipped_bytes)} ({(r.unzipped_bytes / raw - 1) * 100:+.1f}%)"))
        slim_zip = (work / "zips" / f"{spec.logical_id}.zip").stat().st_size
        rows.append((f"size {spec.logical_id}: raw -> slimmed zip", f"{mb(raw_zip)} -> {mb(slim_zip)}"))

    # --- pip --platform --only-binary --target, warm pip cache ------------------------------
    pip_total = 0.0
    for spec in specs:
        pip_total += run([*pip_cmd, "--target", str(work / "pip" / spec.logical_id), *spec.requirements],
                         env=env)
    rows.append(("pip --platform --only-binary=:all: --target (all groups)", f"{pip_total:.2f} s"))

    # --- warm rebuild of the whole quickstart as one process -------------------------------
    warm_s: Optional[float] = None
    if template is not None:
        env_warm = {**env, "SAM_LAYERS_CACHE_DIR": str(work / "layer-cache-cli")}
        first = run([*sam_layers, "build", "--no-sam", "-t", str(template)], env=env_warm)
        warm_runs = [run([*sam_layers, "build", "--no-sam", "-t", str(template)], env=env_warm)
                     for _ in range(3)]
        warm_s = min(warm_runs)
        rows.append(("sam-layers build --no-sam, first (cold layer cache, with zips)", f"{first:.2f} s"))
        rows.append(("sam-layers build --no-sam, warm rebuild (process, best of 3)",
                     f"{warm_s:.2f} s (runs: {', '.join(f'{w:.2f}' for w in warm_runs)})"))

    # --- sam build: native BuildMethod python3.12 vs the generated makefile hook -----------
    sam = shutil.which("sam", path=str(BIN)) or shutil.which("sam")
    sam_native = sam_native_cached = sam_hook = sam_hook_cached = None
    if sam and template is not None:
        sam_env = {**env, "PATH": f"{python312_bin()}{os.pathsep}{env.get('PATH', '')}"}
        generated = project / ".sam-layers" / "template.yaml"
        native = project / ".sam-layers" / "template-native.yaml"
        native.write_text(generated.read_text().replace("BuildMethod: makefile", "BuildMethod: python3.12"))

        def sam_build(tpl: Path, build_dir: str, cached: bool = False) -> float:
            args = [sam, "build", "-t", str(tpl), "-b", str(project / build_dir)]
            if cached:
                args += ["--cached", "--cache-dir", str(project / f".cache-{build_dir}")]
            return run(args, cwd=project, env=sam_env)

        sam_build(native, "warm-native")  # warms pip's cache for SAM's workflow
        sam_native = sam_build(native, "native")
        sam_build(native, "native-c", cached=True)
        sam_native_cached = sam_build(native, "native-c", cached=True)
        # The hook's layer cache is the one `sam-layers build --no-sam` filled above.
        sam_env["SAM_LAYERS_CACHE_DIR"] = str(work / "layer-cache-cli")
        sam_hook = sam_build(generated, "hook")
        sam_build(generated, "hook-c", cached=True)
        sam_hook_cached = sam_build(generated, "hook-c", cached=True)
        rows.append(("sam build, layers BuildMethod: python3.12", f"{sam_native:.2f} s"))
        rows.append(("sam build --cached, nothing changed (python3.12 layers)", f"{sam_native_cached:.2f} s"))
        rows.append(("sam build of the generated template (makefile hook)", f"{sam_hook:.2f} s"))
        rows.append(("sam build --cached of the generated template", f"{sam_hook_cached:.2f} s"))

    rows.append(("load average at the end", f"{os.getloadavg()[0]:.2f}"))

    # --- report ------------------------------------------------------------------------------
    width = max(len(r[0]) for r in rows)
    print()
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print()
    print(f"pip / sam-layers cold build:            {pip_total / cold_total:6.1f}x  (target >= 10x)")
    if warm_s is not None:
        print(f"warm rebuild (process):                 {warm_s:6.2f} s (target <= 0.30 s)")
        if sam_native_cached:
            print(f"sam build --cached / warm rebuild:      {sam_native_cached / warm_s:6.1f}x  (target >= 10x)")
    if sam_native and sam_hook:
        print(f"sam build hook / native python3.12:     {sam_hook / sam_native:6.2f}   (target <= 0.40)")
    print(f"zip of all groups:                      {zip_total:6.2f} s (target <= 2 s, within 3% of level 9)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
