"""Finding the runtime's own CPython on this machine, for the import smoke test."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

_PATCH = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


@dataclass(frozen=True)
class PythonLookup:
    """The interpreter found for a version, or where it was looked for (for the skip message)."""

    version: str  # "3.12"
    executable: Optional[Path]
    looked_in: tuple[str, ...]


def pyenv_root() -> Path:
    """``$PYENV_ROOT``, else what ``pyenv root`` says, else ``~/.pyenv``."""
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    return _pyenv_root_from_tool()


@lru_cache(maxsize=1)
def _pyenv_root_from_tool() -> Path:
    tool = shutil.which("pyenv")
    if tool:
        try:
            out = subprocess.run([tool, "root"], capture_output=True, text=True, timeout=10,
                                 check=True).stdout.strip()
            if out:
                return Path(out)
        except (OSError, subprocess.SubprocessError):
            pass
    return Path.home() / ".pyenv"


def find_python(version: str) -> PythonLookup:
    """The newest ``$(pyenv root)/versions/X.Y.*/bin/python``, else ``pythonX.Y`` on PATH."""
    root = pyenv_root()
    pattern = root / "versions" / f"{version}.*" / "bin" / "python"
    found: list[tuple[int, Path]] = []
    versions = root / "versions"
    if versions.is_dir():
        for entry in versions.iterdir():
            m = _PATCH.match(entry.name)
            exe = entry / "bin" / "python"
            if m and f"{m.group(1)}.{m.group(2)}" == version and os.access(exe, os.X_OK):
                found.append((int(m.group(3)), exe))
    looked = (str(pattern), f"python{version} on PATH")
    if found:
        return PythonLookup(version, max(found)[1], looked)
    on_path = shutil.which(f"python{version}")
    return PythonLookup(version, Path(on_path) if on_path else None, looked)
