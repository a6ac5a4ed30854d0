"""The user-level cache of built layers.

Root: ``SAM_LAYERS_CACHE_DIR``, else ``$XDG_CACHE_HOME/sam-layers``, else
``~/.cache/sam-layers``. A built layer lives in ``layers/<key>/`` (its ``python/`` folder,
``layer.zip`` and ``entry.json``), keyed by a hash of everything that shapes it. Entries are
written into a temp folder beside their final place and renamed into it, so an interrupted
build never leaves a half-written entry, and two builds of the same key cannot mix files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from sam_layers import __version__

CACHE_FORMAT = "1"
ENTRY_FILE = "entry.json"
# A temp folder this old belongs to a build that was killed (builds take seconds, not hours);
# younger ones may be another process's build in progress (`sam build --parallel`).
STALE_TEMP_SECONDS = 6 * 3600


def cache_root(env: Optional[Mapping[str, str]] = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SAM_LAYERS_CACHE_DIR"):
        return Path(env["SAM_LAYERS_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "sam-layers"
    return Path.home() / ".cache" / "sam-layers"


def layer_key(parts: Mapping[str, Any]) -> str:
    """A stable key over everything that shapes a layer (plus sam-layers' version)."""
    payload = json.dumps({"format": CACHE_FORMAT, "sam-layers": __version__, **parts},
                         sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class CacheEntry:
    key: str
    path: Path
    meta: Mapping[str, Any]

    @property
    def python_dir(self) -> Path:
        return self.path / "python"

    @property
    def zip_path(self) -> Path:
        return self.path / "layer.zip"


class LayerCache:
    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = root if root is not None else cache_root()

    @property
    def layers_dir(self) -> Path:
        return self.root / "layers"

    def get(self, key: str) -> Optional[CacheEntry]:
        path = self.layers_dir / key
        try:
            meta = json.loads((path / ENTRY_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return CacheEntry(key=key, path=path, meta=meta)

    def put(self, key: str, fill: Callable[[Path], Mapping[str, Any]]) -> CacheEntry:
        """Build an entry with ``fill(tmp_dir) -> meta`` and publish it by one rename."""
        self.layers_dir.mkdir(parents=True, exist_ok=True)
        self.clean_temp()
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=self.layers_dir))
        try:
            meta = dict(fill(tmp))
            (tmp / ENTRY_FILE).write_text(json.dumps(meta, sort_keys=True, indent=1) + "\n",
                                          encoding="utf-8")
            final = self.layers_dir / key
            try:
                os.rename(tmp, final)
            except OSError:
                # Someone else published the same key first (or a broken entry is in the way).
                existing = self.get(key)
                if existing is not None:
                    shutil.rmtree(tmp, ignore_errors=True)
                    return existing
                shutil.rmtree(final, ignore_errors=True)
                os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return CacheEntry(key=key, path=final, meta=meta)

    def clean_temp(self, older_than: float = STALE_TEMP_SECONDS) -> None:
        """Remove temp folders left by builds that were killed."""
        if not self.layers_dir.is_dir():
            return
        now = time.time()
        for child in self.layers_dir.iterdir():
            try:
                old = now - child.stat().st_mtime > older_than
            except OSError:
                continue
            if child.name.startswith(".tmp-") and old:
                shutil.rmtree(child, ignore_errors=True)


def link_or_copy_tree(src: Path, dst: Path) -> None:
    """Materialize ``src`` at ``dst`` with hard links, copying where links are not possible."""
    can_link = True
    for dirpath, dirs, files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target_dir = dst if rel == "." else dst / rel
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in files:
            s, d = os.path.join(dirpath, name), os.path.join(target_dir, name)
            if can_link:
                try:
                    os.link(s, d)
                    continue
                except OSError:
                    can_link = False
            shutil.copy2(s, d)


def link_or_copy_file(src: Path, dst: Path) -> None:
    """Place ``src`` at ``dst`` atomically (a link or copy under a temp name, then rename)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        if os.path.samefile(src, dst):
            return  # already that file (rename() between two links of one inode does nothing)
    except OSError:
        pass
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
    if os.path.lexists(tmp):
        os.unlink(tmp)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, dst)


__all__ = ["CacheEntry", "LayerCache", "cache_root", "layer_key", "link_or_copy_file",
           "link_or_copy_tree"]
