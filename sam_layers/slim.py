"""Slimming an installed layer folder without breaking its imports.

What goes: bytecode caches (compiled by some other Python, dead weight), test suites inside
packages, debug sections of ``.so`` files, and what uv leaves behind in ``--target`` mode (an
empty ``.lock`` and a ``bin/`` folder). Measured pitfalls this module is shaped by:

- deleting every ``tests/`` folder breaks imports (numpy 2.2's ``numpy.testing`` imported
  ``numpy._core.tests._natype``), so a test folder that code outside the test folders refers to
  is kept;
- ``strip`` on the vendored libraries in ``*.libs/`` corrupted OpenBLAS, and GNU strip handles
  only the host's machine, so only non-vendored ``.so`` files of the host's machine that carry
  debug sections are stripped;
- uv's ``--target`` output is hard-linked into uv's cache: files are only ever deleted, or
  copied before being modified, never written in place.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from sam_layers.elf import read_elf

_TEST_DIR_NAMES = frozenset({"tests", "test"})
_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([^#\n]*)", re.M)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([^#\n]+)", re.M)


@dataclass(frozen=True)
class SlimOptions:
    bytecode: bool = True  # __pycache__/, *.pyc, *.pyo
    tests: bool = True  # test suites inside packages, when nothing outside them imports them
    strip: bool = True  # debug sections of the package's own .so files (never in *.libs/)
    remove: tuple[str, ...] = ()  # extra glob patterns (paths relative to python/) to delete
    keep: tuple[str, ...] = field(default=())  # glob patterns never deleted

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["remove"] = sorted(self.remove)
        data["keep"] = sorted(self.keep)
        return data


NO_SLIM = SlimOptions(bytecode=False, tests=False, strip=False)


@dataclass(frozen=True)
class SlimResult:
    bytes_before: int
    bytes_after: int
    removed: tuple[str, ...]  # relative paths removed (folders as one entry)
    kept_test_dirs: tuple[str, ...]  # test folders kept because other code imports them
    stripped: tuple[str, ...]


def tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, p) for p in patterns)


def _module_of(rel_dir: str) -> str:
    return rel_dir.replace("/", ".")


def _references(text: str, package: str) -> set[str]:
    """Absolute module names a source file refers to (imports, resolved relative ones)."""
    refs: set[str] = set()
    for dots, mod, names in _FROM_IMPORT.findall(text):
        if dots:
            parts = package.split(".") if package else []
            base_parts = parts[: len(parts) - (len(dots) - 1)] if len(dots) > 1 else parts
            base = ".".join(p for p in (*base_parts, mod) if p)
        else:
            base = mod
        refs.add(base)
        for name in names.replace(")", " ").split(","):
            name = name.strip().split(" ")[0]
            if name and name != "*":
                refs.add(f"{base}.{name}" if base else name)
    for names in _IMPORT.findall(text):
        for name in names.split(","):
            refs.add(name.strip().split(" ")[0])
    return refs


def _test_lines(text: str) -> list[str]:
    """The lines of a source file that mention ``test`` (the only ones that can refer to a suite)."""
    lines: list[str] = []
    pos = text.find("test")
    while pos >= 0:
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        lines.append(text[start:end])
        pos = text.find("test", end)
    return lines


def _dotted_names(line: str) -> set[str]:
    """Dotted names ending in a test folder anywhere in a line (``import_module("a.tests.b")``)."""
    names: set[str] = set()
    for marker in (".tests", ".test"):
        pos = line.find(marker)
        while pos >= 0:
            start = pos
            while start > 0 and (line[start - 1].isalnum() or line[start - 1] in "._"):
                start -= 1
            end = pos + len(marker)
            while end < len(line) and (line[end].isalnum() or line[end] in "._"):
                end += 1
            names.add(line[start:end].strip("."))
            pos = line.find(marker, pos + 1)
    return names


def _select_test_dirs(root: Path, candidates: list[str]) -> tuple[list[str], list[str]]:
    """Split candidate test folders into (removable, kept because something imports them)."""
    if not candidates:
        return [], []
    modules = {c: _module_of(c) for c in candidates}

    def inside(rel: str) -> Optional[str]:
        for c in candidates:
            if rel == c or rel.startswith(c + "/"):
                return c
        return None

    # Source files and the test folder (if any) each lives in.
    sources: list[tuple[str, Optional[str]]] = []
    for dirpath, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        dirs[:] = [d for d in dirs if not d.endswith((".dist-info", ".libs")) and d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                sources.append((rel, inside(rel)))

    by_owner: dict[Optional[str], list[str]] = {}
    for rel, owner in sources:
        by_owner.setdefault(owner, []).append(rel)

    def refs_of(owner: Optional[str]) -> set[str]:
        # Files of a test folder are read only once that folder is known to be kept.
        refs: set[str] = set()
        for rel in by_owner.get(owner, ()):
            try:
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "test" not in text:
                continue
            package = _module_of(rel.rsplit("/", 1)[0]) if "/" in rel else ""
            for line in _test_lines(text):
                refs |= _references(line, package)
                refs |= _dotted_names(line)
        return refs

    def referenced(refs: set[str], c: str) -> bool:
        mod = modules[c]
        return any(r == mod or r.startswith(mod + ".") for r in refs)

    kept: set[str] = set()
    frontier: list[Optional[str]] = [None]
    seen: set[Optional[str]] = set()
    while frontier:
        owner = frontier.pop()
        if owner in seen:
            continue
        seen.add(owner)
        refs = refs_of(owner)
        for c in candidates:
            if c not in kept and c != owner and referenced(refs, c):
                kept.add(c)
                frontier.append(c)
    removable = [c for c in candidates if c not in kept]
    return removable, sorted(kept)


def _host_machine() -> Optional[int]:
    from sam_layers.elf import EM_AARCH64, EM_X86_64

    machine = os.uname().machine if hasattr(os, "uname") else ""
    return {"x86_64": EM_X86_64, "amd64": EM_X86_64, "aarch64": EM_AARCH64,
            "arm64": EM_AARCH64}.get(machine)


def _strip_copy(path: Path, strip: str) -> bool:
    """Strip debug sections into a copy, then replace the original (never writes into a link)."""
    fd, tmp = tempfile.mkstemp(prefix=".strip-", dir=path.parent)
    os.close(fd)
    try:
        shutil.copy2(path, tmp)
        proc = subprocess.run([strip, "--strip-debug", tmp], capture_output=True, check=False)
        if proc.returncode != 0:
            return False
        os.replace(tmp, path)
        return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def slim(root: Path, options: SlimOptions = SlimOptions(), *,
         log: Optional[Callable[[str], None]] = None) -> SlimResult:
    """Slim the installed ``python/`` folder ``root`` in place (deleting, never editing links)."""
    before = tree_size(root)
    removed: list[str] = []
    removed_bytes = 0

    def rm(rel: str) -> None:
        if _matches(rel, options.keep):
            return
        path = root / rel
        nonlocal removed_bytes
        if path.is_dir() and not path.is_symlink():
            removed_bytes += tree_size(path)
            shutil.rmtree(path)
        else:
            removed_bytes += path.lstat().st_size
            path.unlink()
        removed.append(rel)

    # uv's --target leftovers: always removed, they are never part of a layer.
    for leftover in (".lock", "bin"):
        if os.path.lexists(root / leftover):
            rm(leftover)

    test_candidates: list[str] = []
    files_to_remove: list[str] = []
    dirs_to_remove: list[str] = []
    shared_objects: list[str] = []
    for dirpath, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for d in list(dirs):
            rel = prefix + d
            if options.bytecode and d == "__pycache__":
                dirs_to_remove.append(rel)
                dirs.remove(d)
            elif options.remove and _matches(rel, options.remove):
                dirs_to_remove.append(rel)
                dirs.remove(d)
            elif options.tests and d in _TEST_DIR_NAMES and prefix and not d.endswith(".dist-info"):
                test_candidates.append(rel)
                dirs.remove(d)
        for name in files:
            rel = prefix + name
            if options.bytecode and name.endswith((".pyc", ".pyo")):
                files_to_remove.append(rel)
            elif options.remove and _matches(rel, options.remove):
                files_to_remove.append(rel)
            elif options.strip and (name.endswith(".so") or ".so." in name) and \
                    not any(part.endswith(".libs") for part in rel.split("/")[:-1]):
                shared_objects.append(rel)

    removable_tests, kept_tests = _select_test_dirs(root, test_candidates)
    for rel in sorted(dirs_to_remove) + removable_tests:
        rm(rel)
    if options.bytecode:
        for kept in kept_tests:
            for cache in sorted((root / kept).rglob("__pycache__")):
                if cache.is_dir():
                    rm(cache.relative_to(root).as_posix())
    for rel in sorted(files_to_remove):
        rm(rel)

    stripped: list[str] = []
    stripped_bytes = 0
    strip_tool = shutil.which("strip") if shared_objects else None
    host = _host_machine()
    if strip_tool and host is not None:
        for rel in sorted(shared_objects):
            path = root / rel
            info = read_elf(path)
            if info is None or info.machine != host or not info.has_debug_info:
                continue
            if log:
                log(f"strip --strip-debug {rel}")
            size = path.stat().st_size
            if _strip_copy(path, strip_tool):
                stripped.append(rel)
                stripped_bytes += size - path.stat().st_size

    return SlimResult(bytes_before=before, bytes_after=before - removed_bytes - stripped_bytes,
                      removed=tuple(sorted(removed)), kept_test_dirs=tuple(kept_tests),
                      stripped=tuple(stripped))


__all__ = ["NO_SLIM", "SlimOptions", "SlimResult", "slim", "tree_size"]
