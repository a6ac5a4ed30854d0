"""Running sam-layers as a user does: ``python -m sam_layers`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parents[2]


def cli_env(**extra: str) -> dict[str, str]:
    """This process's environment with the checkout importable."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def run_cli(*args: str, cwd: Path, env: Optional[Mapping[str, str]] = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sam_layers", *args], cwd=cwd,
                          capture_output=True, text=True, env=dict(env or cli_env()),
                          timeout=timeout)
