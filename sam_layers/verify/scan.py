"""One pass over a built layer folder: its size, its binaries and its distributions.

Every rule reads a :class:`LayerScan`, never the folder itself, and scans are cached by the
layer's content key (the builder's key, or a hash of every file's path, size and mtime), so a
rebuild that changed nothing costs one ``stat`` per file, and nothing with a builder's key.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from packaging.utils import canonicalize_name

from sam_layers.elf import NotElf, parse_elf
from sam_layers.platforms import LAYER_PYTHON_DIR
from sam_layers.verify.cache import ResultCache, cache_key

SCAN_VERSION = 3
_BINARY_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
# Top-level folders some wheels ship that are not meant to be imported.
_NOT_MODULES = frozenset({"test", "tests", "docs", "doc", "examples", "benchmarks", "bin"})


@dataclass(frozen=True)
class Binary:
    """A shared object, extension module or executable found in the layer."""

    path: str  # relative to the layer folder: "python/numpy/_core/_multiarray_umath....so"
    size: int
    machine: Optional[str]  # "EM_X86_64"; None when the file is not an ELF file
    max_glibc: Optional[tuple[int, ...]]
    distribution: Optional[str]  # canonical name of the distribution whose RECORD lists it


@dataclass(frozen=True)
class Distribution:
    name: str  # as its METADATA spells it
    version: str
    dist_info: str  # relative to the layer folder: "python/numpy-2.4.6.dist-info"
    modules: tuple[str, ...]  # importable top-level names

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)


@dataclass(frozen=True)
class LayerScan:
    content_key: str
    unzipped_bytes: int
    file_count: int
    python_dirs: tuple[str, ...]  # relative folders that go on sys.path: "python", "python/lib/..."
    binaries: tuple[Binary, ...]
    distributions: tuple[Distribution, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "content_key": self.content_key,
            "unzipped_bytes": self.unzipped_bytes,
            "file_count": self.file_count,
            "python_dirs": list(self.python_dirs),
            "binaries": [[b.path, b.size, b.machine, list(b.max_glibc) if b.max_glibc else None,
                          b.distribution] for b in self.binaries],
            "distributions": [[d.name, d.version, d.dist_info, list(d.modules)]
                              for d in self.distributions],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "LayerScan":
        return cls(
            content_key=str(data["content_key"]),
            unzipped_bytes=int(data["unzipped_bytes"]),
            file_count=int(data["file_count"]),
            python_dirs=tuple(str(p) for p in data["python_dirs"]),
            binaries=tuple(
                Binary(str(p), int(s), m, tuple(int(x) for x in g) if g else None, d)
                for p, s, m, g, d in data["binaries"]),
            distributions=tuple(
                Distribution(str(n), str(v), str(i), tuple(str(m) for m in mods))
                for n, v, i, mods in data["distributions"]),
        )


def folder_size(root: Path) -> int:
    """Unzipped size of a folder as Lambda counts it: the sum of its files' sizes."""
    return sum(size for _, size, _ in _walk(root))


def folder_key(root: Path) -> str:
    """A content key from every file's relative path, size and mtime."""
    digest = hashlib.sha256()
    for rel, size, mtime in _walk(root):
        digest.update(f"{rel}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return "files:" + digest.hexdigest()


def scan_layer(root: Path, cache: ResultCache, content_key: Optional[str] = None) -> LayerScan:
    """Scan a built layer folder (the one holding ``python/``), through the cache."""
    key = content_key or folder_key(root)
    entry = cache_key("scan", SCAN_VERSION, key)
    cached = cache.get("scan", entry)
    if cached is not None:
        try:
            return LayerScan.from_json(cached)
        except (KeyError, TypeError, ValueError):
            pass
    scan = _scan(root, key)
    cache.put("scan", entry, scan.to_json())
    return scan


def _walk(root: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime_ns) of every regular file, sorted by path."""
    found: list[tuple[str, int, int]] = []
    prefix = len(str(root)) + 1
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode):
                found.append((full[prefix:].replace(os.sep, "/"), st.st_size, st.st_mtime_ns))
    found.sort()
    return found


def _scan(root: Path, key: str) -> LayerScan:
    files = _walk(root)
    python_dirs = _site_dirs(root)
    distributions: list[Distribution] = []
    owner: dict[str, str] = {}  # layer-relative file path -> canonical distribution name
    for pdir in python_dirs:
        base = root / pdir
        for info in sorted(base.glob("*.dist-info")):
            dist, record = _read_dist_info(info, f"{pdir}/{info.name}")
            if dist is None:
                continue
            distributions.append(dist)
            for rel in record:
                owner[f"{pdir}/{rel}"] = dist.key
    binaries: list[Binary] = []
    for rel, size, _ in files:
        name = rel.rsplit("/", 1)[-1]
        named_binary = name.endswith(_BINARY_SUFFIXES) or ".so." in name
        if not named_binary and not _is_executable(root / rel):
            continue
        try:
            elf = parse_elf(root / rel)
        except (NotElf, OSError):
            if named_binary:
                binaries.append(Binary(rel, size, None, None, owner.get(rel)))
            continue
        binaries.append(Binary(rel, size, elf.machine_tag, elf.max_glibc, owner.get(rel)))
    return LayerScan(key, sum(s for _, s, _ in files), len(files), tuple(python_dirs),
                     tuple(binaries), tuple(distributions))


def _site_dirs(root: Path) -> list[str]:
    """Folders of the layer on Lambda's sys.path: python/lib/python3.X/site-packages, python."""
    found: list[str] = []
    lib = root / LAYER_PYTHON_DIR / "lib"
    if lib.is_dir():
        for site in sorted(lib.glob("python3.*/site-packages")):
            found.append(site.relative_to(root).as_posix())
    if (root / LAYER_PYTHON_DIR).is_dir():
        found.append(LAYER_PYTHON_DIR)
    return found


def _is_executable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o111)
    except OSError:
        return False


def _read_dist_info(info: Path, rel: str) -> tuple[Optional[Distribution], list[str]]:
    name = version = None
    try:
        with open(info / "METADATA", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                if line.startswith("Name:"):
                    name = line[5:].strip()
                elif line.startswith("Version:"):
                    version = line[8:].strip()
    except OSError:
        pass
    if not name or not version:
        stem = info.name[: -len(".dist-info")]
        if "-" not in stem:
            return None, []
        name, version = stem.rsplit("-", 1)
    record: list[str] = []
    try:
        text = (info / "RECORD").read_text(encoding="utf-8", errors="replace")
        record = [row[0] for row in csv.reader(io.StringIO(text)) if row]
    except OSError:
        pass
    top_level: list[str] = []
    try:
        top_level = (info / "top_level.txt").read_text(encoding="utf-8").split()
    except OSError:
        pass
    modules = _modules(record) if record else sorted(
        {t.split("/")[0] for t in top_level if t.split("/")[0].isidentifier()})
    # Only what is still there: slimming may have removed files the RECORD lists.
    present = [m for m in modules if m not in _NOT_MODULES and _exists(info.parent, m)]
    return Distribution(name, version, rel, tuple(present)), record


def _exists(base: Path, module: str) -> bool:
    if (base / module).is_dir() or (base / f"{module}.py").is_file():
        return True
    return any(base.glob(f"{module}.*.so")) or (base / f"{module}.so").is_file()


def _modules(record: Iterable[str]) -> list[str]:
    """Importable top-level names from a RECORD: packages holding code, and top-level modules."""
    names: set[str] = set()
    for path in record:
        if path.startswith(("../", "/")):
            continue
        parts = path.split("/")
        first = parts[0]
        if len(parts) == 1:
            mod = _module_of_file(first)
            if mod:
                names.add(mod)
        elif (first.isidentifier() and first != "__pycache__"
              and parts[-1].endswith((".py", ".so", ".pyd", ".pyc"))):
            names.add(first)
    return sorted(names)


def _module_of_file(name: str) -> Optional[str]:
    if name.endswith(".py"):
        stem = name[:-3]
    elif name.endswith((".so", ".pyd")):
        stem = name.split(".", 1)[0]
    else:
        return None
    return stem if stem.isidentifier() else None
