"""Building layer variants: lock, install, slim, zip, with a cache of built layers.

A build is a short list of named steps — *install* (from the lock, hashes required), *slim*
— run once per cache key into the user's layer cache, plus *zip* on the first build that asks
for a zip; an output folder is then materialized from the cache entry by hard links. An output that is already intact and up to
date (its stamp matches the key and the files on disk) is left alone, which is what makes a
warm rebuild of a whole project a fraction of a second.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, TypeVar

from sam_layers.cache import LayerCache, layer_key, link_or_copy_file, link_or_copy_tree
from sam_layers.errors import BadInput, Problem, SamLayersError
from sam_layers.installer import Installer, default_installer
from sam_layers.lockfile import LockedVariant, LockFile, stale_keys
from sam_layers.platforms import LAYER_PYTHON_DIR
from sam_layers.slim import SlimOptions, slim
from sam_layers.spec import LayerSpec
from sam_layers.uptodate import tree_fingerprint

T = TypeVar("T")
Log = Callable[[str], None]
# progress(spec, event, result): event is "start", "done" or "failed".
Progress = Callable[[LayerSpec, str, Optional["BuildResult"]], None]


@dataclass(frozen=True)
class BuildResult:
    key: str  # LayerSpec.key
    logical_id: str
    python_dir: Path
    zip_path: Optional[Path]
    raw_bytes: int  # installed, before slimming
    unzipped_bytes: int
    zipped_bytes: int
    cache_key: str
    cache_hit: bool
    up_to_date: bool  # the output was already intact: nothing was touched
    seconds: float
    lock_digest: str


def cache_key_for(locked: LockedVariant, slim_options: SlimOptions, installer_name: str) -> str:
    return layer_key({
        "runtime": locked.runtime,
        "architecture": locked.architecture,
        "packages": [[p.name, p.version, list(p.hashes)] for p in locked.sorted_packages],
        "slim": slim_options.to_json(),
        "installer": installer_name,
    })


def _stamp_path(dest: Path) -> Path:
    # Beside the output folder, never inside it: SAM uploads everything in ARTIFACTS_DIR.
    return dest.parent / f".{dest.name or 'layer'}.sam-layers.json"


def _is_up_to_date(dest: Path, zip_path: Optional[Path], cache_key: str) -> Optional[dict[str, object]]:
    try:
        stamp = json.loads(_stamp_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stamp.get("cache_key") != cache_key:
        return None
    python_dir = dest / LAYER_PYTHON_DIR
    if not python_dir.is_dir():
        return None
    if [stamp.get("files"), stamp.get("unzipped_bytes")] != list(tree_fingerprint(python_dir)):
        return None
    if zip_path is not None:
        try:
            st = zip_path.stat()
        except OSError:
            return None
        if stamp.get("zip") != str(zip_path) or stamp.get("zipped_bytes") != st.st_size \
                or stamp.get("zip_mtime_ns") != st.st_mtime_ns:
            return None
    return dict(stamp)


def _fill_entry(locked: LockedVariant, installer: Installer, slim_options: SlimOptions,
                log: Optional[Log]) -> Callable[[Path], dict[str, object]]:
    def fill(tmp: Path) -> dict[str, object]:
        python_dir = tmp / LAYER_PYTHON_DIR
        started = time.perf_counter()
        installer.install(locked, python_dir)
        installed = time.perf_counter()
        result = slim(python_dir, slim_options, log=log)
        slimmed = time.perf_counter()
        files, _ = tree_fingerprint(python_dir)
        return {
            "key": locked.key, "lock_digest": locked.digest,
            "raw_bytes": result.bytes_before, "unzipped_bytes": result.bytes_after,
            "files": files,
            "kept_test_dirs": list(result.kept_test_dirs), "stripped": list(result.stripped),
            "seconds": {"install": round(installed - started, 3),
                        "slim": round(slimmed - installed, 3)},
        }
    return fill


def build_layer(spec: LayerSpec, locked: LockedVariant, dest_python_parent_dir: Path, *,
                zip_path: Optional[Path] = None, cache: Optional[LayerCache] = None,
                installer: Optional[Installer] = None, slim_options: SlimOptions = SlimOptions(),
                verbose: Optional[Log] = None, stamp: bool = True) -> BuildResult:
    """Build one variant into ``dest_python_parent_dir/python`` (and ``zip_path``, when given).

    ``stamp`` records the output beside ``dest_python_parent_dir`` so the next identical build
    is a no-op; the ``sam build`` hook turns it off (SAM owns its build folder).
    """
    started = time.perf_counter()
    if locked.key != spec.key or locked.input_hash != spec.input_hash:
        raise BadInput(Problem(f"the lock entry {locked.key} is stale for this layer; run "
                               "`sam-layers lock`", where=spec.logical_id or spec.key))
    inst = installer if installer is not None else default_installer(on_command=verbose)
    key = cache_key_for(locked, slim_options, inst.name)
    dest = dest_python_parent_dir
    current = _is_up_to_date(dest, zip_path, key) if stamp else None
    if current is not None:
        return _result(spec, locked, dest, zip_path, current, key, True, True, started)

    layer_cache = cache if cache is not None else LayerCache()
    entry = layer_cache.get(key)
    hit = entry is not None
    if entry is None:
        if verbose:
            verbose(f"{spec.key}: building into the layer cache ({layer_cache.root})")
        entry = layer_cache.put(key, _fill_entry(locked, inst, slim_options, verbose))
    elif verbose:
        verbose(f"{spec.key}: layer cache hit {entry.path}")

    python_dir = dest / LAYER_PYTHON_DIR
    if python_dir.exists():
        shutil.rmtree(python_dir)
    dest.mkdir(parents=True, exist_ok=True)
    link_or_copy_tree(entry.python_dir, python_dir)
    stamp_data: dict[str, object] = {
        "cache_key": key, "key": spec.key, "lock_digest": locked.digest,
        "files": entry.meta.get("files"), "unzipped_bytes": entry.meta.get("unzipped_bytes"),
        "raw_bytes": entry.meta.get("raw_bytes"),
    }
    if zip_path is not None:
        if not entry.zip_path.is_file():
            from sam_layers.zipper import write_zip

            # Zipped on first demand only: the sam build hook never needs it. write_zip is
            # atomic and deterministic, so concurrent builds of one key cannot corrupt it.
            write_zip(entry.python_dir, entry.zip_path)
        link_or_copy_file(entry.zip_path, zip_path)
        stamp_data["zipped_bytes"] = zip_path.stat().st_size
        stamp_data["zip"] = str(zip_path)
        stamp_data["zip_mtime_ns"] = zip_path.stat().st_mtime_ns
    if stamp:
        _stamp_path(dest).write_text(json.dumps(stamp_data, sort_keys=True) + "\n", encoding="utf-8")
    return _result(spec, locked, dest, zip_path, stamp_data, key, hit, False, started)


def _result(spec: LayerSpec, locked: LockedVariant, dest: Path, zip_path: Optional[Path],
            stamp: dict[str, object], key: str, hit: bool, up_to_date: bool,
            started: float) -> BuildResult:
    def num(name: str) -> int:
        value = stamp.get(name)
        return int(value) if isinstance(value, (int, float)) else 0

    return BuildResult(
        key=spec.key, logical_id=spec.logical_id, python_dir=dest / LAYER_PYTHON_DIR,
        zip_path=zip_path, raw_bytes=num("raw_bytes"), unzipped_bytes=num("unzipped_bytes"),
        zipped_bytes=num("zipped_bytes"), cache_key=key, cache_hit=hit, up_to_date=up_to_date,
        seconds=time.perf_counter() - started, lock_digest=locked.digest,
    )


def build_layers(items: Sequence[tuple[LayerSpec, LockedVariant]], out_root: Path, *,
                 jobs: int = 2, progress: Optional[Progress] = None,
                 cache: Optional[LayerCache] = None, installer: Optional[Installer] = None,
                 slim_options: SlimOptions = SlimOptions(),
                 verbose: Optional[Log] = None) -> list[BuildResult]:
    """Build variants in parallel into ``out_root/<LogicalId>/python`` and ``out_root/<LogicalId>.zip``.

    Every variant is attempted; user errors of all variants are raised together.
    """
    layer_cache = cache if cache is not None else LayerCache()
    inst = installer if installer is not None else default_installer(on_command=verbose)

    def one(item: tuple[LayerSpec, LockedVariant]) -> BuildResult:
        spec, locked = item
        name = spec.logical_id or spec.key.replace("/", "-")
        if progress:
            progress(spec, "start", None)
        try:
            result = build_layer(spec, locked, out_root / name, zip_path=out_root / f"{name}.zip",
                                 cache=layer_cache, installer=inst, slim_options=slim_options,
                                 verbose=verbose)
        except BaseException:
            if progress:
                progress(spec, "failed", None)
            raise
        if progress:
            progress(spec, "done", result)
        return result

    # Intact, up-to-date outputs first and in this thread: a warm rebuild starts no threads.
    pending = []
    done: dict[int, BuildResult] = {}
    for index, item in enumerate(items):
        spec, locked = item
        name = spec.logical_id or spec.key.replace("/", "-")
        key = cache_key_for(locked, slim_options, inst.name)
        stamp = _is_up_to_date(out_root / name, out_root / f"{name}.zip", key)
        if stamp is None or locked.key != spec.key or locked.input_hash != spec.input_hash:
            pending.append((index, item))
            continue
        if progress:
            progress(spec, "start", None)
        started = time.perf_counter()
        done[index] = _result(spec, locked, out_root / name, out_root / f"{name}.zip", stamp, key,
                              True, True, started)
        if progress:
            progress(spec, "done", done[index])
    built = _run_all([item for _, item in pending], one, jobs)
    for (index, _), result in zip(pending, built):
        done[index] = result
    return [done[i] for i in range(len(items))]


def _run_all(items: Sequence[tuple[LayerSpec, LockedVariant]],
             one: Callable[[tuple[LayerSpec, LockedVariant]], BuildResult], jobs: int) -> list[BuildResult]:
    if jobs <= 1 or len(items) <= 1:
        outcomes: list[object] = []
        for item in items:
            try:
                outcomes.append(one(item))
            except SamLayersError as exc:
                outcomes.append(exc)
    else:
        from concurrent.futures import ThreadPoolExecutor  # not imported on warm no-op paths

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(one, item) for item in items]
            outcomes = []
            for fut in futures:
                err = fut.exception()
                outcomes.append(err if err is not None else fut.result())
    return _collect(outcomes, BuildResult)


def _collect(outcomes: Sequence[object], kind: type[T]) -> list[T]:
    problems: list[Problem] = []
    for outcome in outcomes:
        if isinstance(outcome, BadInput):
            problems.extend(outcome.problems)
    if problems:
        raise BadInput(problems)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return [o for o in outcomes if isinstance(o, kind)]


def lock_specs(specs: Sequence[LayerSpec], existing: Optional[LockFile],
               installer: Optional[Installer] = None, *, jobs: int = 2) -> LockFile:
    """A lock for exactly ``specs``: fresh entries kept as they are, stale ones re-resolved."""
    inst = installer if installer is not None else default_installer()
    stale = set(stale_keys(existing, specs))
    to_resolve = [s for s in specs if s.key in stale]
    # One resolution per key, even when several specs share it.
    unique = list({s.key: s for s in to_resolve}.values())
    outcomes: list[object] = []
    if unique:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(inst.resolve, s) for s in unique]
            for fut in futures:
                err = fut.exception()
                outcomes.append(err if err is not None else fut.result())
    resolved: list[LockedVariant] = _collect(outcomes, LockedVariant)
    base = existing if existing is not None else LockFile()
    return base.only(s.key for s in specs).with_variants(resolved)


__all__ = ["BuildResult", "build_layer", "build_layers", "cache_key_for", "lock_specs"]
