"""The warm path of ``sam-layers build --no-sam``: is the last build still exactly current?

After a clean build, a stamp records the hash of every file that shaped it (the template, the
group files it read, the lock), the options, the sam-layers version, and a fingerprint of each
built layer (file count and bytes of ``python/``, the zip's size and mtime). When all of that
still holds, nothing would change, so the CLI can stop before parsing the template at all.
Only the standard library is imported here: this runs before everything else.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

STAMP_NAME = ".project-stamp.json"


def tree_fingerprint(root: Path) -> tuple[int, int]:
    """(file count, total bytes) of a folder: cheap, and changes when a file is added or lost."""
    count = total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            count += 1
            total += os.lstat(os.path.join(dirpath, name)).st_size
    return count, total


def _file_hash(path: Path) -> Optional[str]:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _layer_fingerprint(build_dir: Path, logical_id: str) -> Optional[list[Any]]:
    python = build_dir / logical_id / "python"
    archive = build_dir / f"{logical_id}.zip"
    try:
        zstat = archive.stat()
    except OSError:
        return None
    if not python.is_dir():
        return None
    return [*tree_fingerprint(python), zstat.st_size, zstat.st_mtime_ns]


def _state(inputs: Iterable[Path], options: Mapping[str, Any], version: str) -> dict[str, Any]:
    return {
        "version": version,
        "options": dict(options),
        "inputs": {str(p.resolve()): _file_hash(p) for p in sorted(set(inputs))},
    }


def is_current(build_dir: Path, options: Mapping[str, Any], version: str) -> Optional[int]:
    """The number of layers when the stamped build is current, else None."""
    try:
        stamp = json.loads((build_dir / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or not isinstance(stamp.get("inputs"), dict):
        return None
    inputs = [Path(p) for p in stamp["inputs"]]
    if _state(inputs, options, version) != {k: stamp.get(k) for k in ("version", "options",
                                                                        "inputs")}:
        return None
    layers = stamp.get("layers")
    if not isinstance(layers, dict):
        return None
    for logical_id, fingerprint in layers.items():
        if _layer_fingerprint(build_dir, logical_id) != fingerprint:
            return None
    return len(layers)


def write_stamp(build_dir: Path, inputs: Iterable[Path], options: Mapping[str, Any],
                version: str, logical_ids: Iterable[str]) -> None:
    state = _state(inputs, options, version)
    state["layers"] = {i: _layer_fingerprint(build_dir, i) for i in sorted(logical_ids)}
    build_dir.mkdir(parents=True, exist_ok=True)
    tmp = build_dir / f"{STAMP_NAME}.tmp"
    tmp.write_text(json.dumps(state, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, build_dir / STAMP_NAME)


def clear_stamp(build_dir: Path) -> None:
    try:
        (build_dir / STAMP_NAME).unlink()
    except OSError:
        pass
