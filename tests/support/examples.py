"""Copies of the example apps in templates/, without anything a previous build left there."""

from __future__ import annotations

import shutil
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
BUILD_LEFTOVERS = (".aws-sam", ".sam-layers")


def copy_example(name: str, dest: Path, *, keep_lock: bool = True) -> Path:
    """``templates/<name>`` copied to ``dest`` (``make demo`` may have built the original)."""
    ignored = BUILD_LEFTOVERS if keep_lock else (*BUILD_LEFTOVERS, "sam-layers.lock")
    shutil.copytree(TEMPLATES / name, dest, ignore=shutil.ignore_patterns(*ignored))
    return dest
