from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from sam_layers.elf import read_elf
from sam_layers.slim import SlimOptions, slim, tree_size


def write(root: Path, rel: str, text: str = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture()
def layer(tmp_path: Path) -> Path:
    root = tmp_path / "python"
    write(root, ".lock", "")
    write(root, "bin/tool", "#!/bin/sh\n")
    write(root, "pkg/__init__.py")
    write(root, "pkg/__pycache__/__init__.cpython-312.pyc", "junk")
    write(root, "pkg/stray.pyc", "junk")
    write(root, "pkg/tests/__init__.py")
    write(root, "pkg/tests/test_a.py", "import pkg\n")
    # pkg.testing imports a helper from a test suite (numpy.testing -> numpy._core.tests._natype)
    write(root, "pkg/core/tests/__init__.py")
    write(root, "pkg/core/tests/_natype.py", "from pkg.other.tests import base\n")
    write(root, "pkg/testing.py", "from pkg.core.tests._natype import pd_NA\n")
    # ...and that helper in turn imports another suite, which must be kept as well
    write(root, "pkg/other/tests/__init__.py")
    write(root, "pkg/other/tests/base.py")
    # a relative import of a suite
    write(root, "rel/__init__.py")
    write(root, "rel/mod.py", "from .tests import fixtures\n")
    write(root, "rel/tests/fixtures.py")
    # a test suite named only in a string
    write(root, "dyn/__init__.py", "import importlib\nm = importlib.import_module('dyn.test.data')\n")
    write(root, "dyn/test/data.py")
    # a top-level package called tests is a real package, never removed
    write(root, "tests/__init__.py")
    write(root, "pkg-1.0.dist-info/RECORD", "pkg/__init__.py,,\n")
    return root


def test_removes_caches_suites_and_uv_leftovers_without_breaking_imports(layer: Path) -> None:
    before = tree_size(layer)
    result = slim(layer, SlimOptions())
    assert tree(layer) == [
        "dyn/__init__.py",
        "dyn/test/data.py",
        "pkg-1.0.dist-info/RECORD",
        "pkg/__init__.py",
        "pkg/core/tests/__init__.py",
        "pkg/core/tests/_natype.py",
        "pkg/other/tests/__init__.py",
        "pkg/other/tests/base.py",
        "pkg/testing.py",
        "rel/__init__.py",
        "rel/mod.py",
        "rel/tests/fixtures.py",
        "tests/__init__.py",
    ]
    assert result.kept_test_dirs == ("dyn/test", "pkg/core/tests", "pkg/other/tests", "rel/tests")
    assert result.removed == (".lock", "bin", "pkg/__pycache__", "pkg/stray.pyc", "pkg/tests")
    assert result.bytes_before == before
    assert result.bytes_after == tree_size(layer)


def test_options_turn_steps_off_and_extra_patterns(layer: Path) -> None:
    slim(layer, SlimOptions(bytecode=False, tests=False, strip=False, remove=("dyn/*",),
                            keep=("bin",)))
    files = tree(layer)
    assert "pkg/tests/test_a.py" in files
    assert "pkg/__pycache__/__init__.cpython-312.pyc" in files
    assert "bin/tool" in files
    assert ".lock" not in files
    assert [f for f in files if f.startswith("dyn/")] == []


def test_slim_never_writes_into_hard_linked_files(layer: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("stray.pyc", "__init__.py"):
        os.link(layer / "pkg" / name, cache / name)
    slim(layer, SlimOptions())
    assert (cache / "stray.pyc").read_text() == "junk"
    assert (cache / "__init__.py").read_text() == "x = 1\n"


needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("strip") is None,
                               reason="needs gcc and strip")


@needs_gcc
def test_strip_copies_before_stripping_and_skips_vendored_libs(tmp_path: Path) -> None:
    src = tmp_path / "m.c"
    src.write_text("int answer(void) { return 42; }\n")
    root = tmp_path / "python"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg.libs").mkdir()
    so = root / "pkg" / "_m.so"
    subprocess.run(["gcc", "-g", "-shared", "-fPIC", "-o", str(so), str(src)], check=True)
    vendored = root / "pkg.libs" / "libm-1234.so.1"
    shutil.copy2(so, vendored)
    cached = tmp_path / "uv-cache-copy.so"
    os.link(so, cached)
    before = cached.read_bytes()

    result = slim(root, SlimOptions())

    assert result.stripped == ("pkg/_m.so",)
    assert cached.read_bytes() == before  # the linked twin in "uv's cache" is untouched
    assert os.stat(so).st_ino != os.stat(cached).st_ino
    info, vendored_info = read_elf(so), read_elf(vendored)
    assert info is not None and info.has_debug_info is False
    assert vendored_info is not None and vendored_info.has_debug_info is True
    assert ctypes.CDLL(str(so)).answer() == 42
    assert result.bytes_after == tree_size(root)
