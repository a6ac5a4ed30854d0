"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional, Union

TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")


def atomic_write(path: Path, data: Union[str, bytes]) -> None:
    """Write ``data`` to a temp file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_if_changed(path: Path, data: Union[str, bytes]) -> bool:
    """Atomic write that leaves an identical file alone (keeps its mtime for make and SAM)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == payload:
            return False
    except OSError:
        pass
    atomic_write(path, payload)
    return True


def find_template(template: Optional[Path]) -> Path:
    """``-t`` as given, else the template SAM would pick in the current folder."""
    from sam_layers.errors import BadInput, Problem

    if template is not None:
        return template
    for name in TEMPLATE_NAMES:
        if Path(name).exists():
            return Path(name)
    raise BadInput(Problem("no template.yaml here; pass the SAM template with -t"))
