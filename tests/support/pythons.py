"""The Lambda runtimes' own CPythons on this machine (pyenv's, else python3.X on PATH)."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Optional


def _pyenv_root() -> Path:
    env = os.environ.get("PYENV_ROOT")
    if env:
        return Path(env)
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    return Path.home() / ".pyenv"


@lru_cache(maxsize=None)
def runtime_python(version: str) -> Optional[Path]:
    """``$(pyenv root)/versions/3.X.*/bin/python`` (newest patch), else ``python3.X`` on PATH."""
    candidates = sorted((_pyenv_root() / "versions").glob(f"{version}.*/bin/python{version}"),
                        key=lambda p: [int(x) for x in p.parts[-3].split(".")[:3] if x.isdigit()])
    if candidates:
        return candidates[-1]
    found = shutil.which(f"python{version}")
    return Path(found) if found else None
