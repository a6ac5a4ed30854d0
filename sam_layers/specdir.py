"""A generated layer's build folder: what ``sam build`` copies and the makefile hook reads.

The folder holds ``layer.json`` (the :class:`~sam_layers.spec.LayerSpec` plus, under
``"locked"``, its locked packages or null) and ``requirements.txt`` (the locked pins with
hashes, which SAM's own ``BuildMethod: python3.X`` uses under ``--use-container``). Everything
the builder needs is in the folder, so it works from SAM's temporary copy of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from sam_layers.errors import BadInput, Problem
from sam_layers.fsutil import write_if_changed
from sam_layers.lockfile import LockedVariant, requirements_txt
from sam_layers.spec import SPEC_FILE, LayerSpec

REQUIREMENTS_FILE = "requirements.txt"


def write_spec_dir(folder: Path, spec: LayerSpec, locked: Optional[LockedVariant]) -> None:
    """Write ``layer.json`` and ``requirements.txt`` into ``folder`` (unchanged files are kept)."""
    data = spec.to_json()
    data["locked"] = locked.to_json() if locked is not None else None
    write_if_changed(folder / SPEC_FILE, json.dumps(data, indent=2, sort_keys=True) + "\n")
    if locked is not None:
        reqs = requirements_txt(locked)
    else:
        reqs = "".join(f"{r}\n" for r in spec.requirements)
    write_if_changed(folder / REQUIREMENTS_FILE, reqs)


def read_spec_dir(folder: Path) -> tuple[LayerSpec, Optional[LockedVariant]]:
    path = folder / SPEC_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        spec = LayerSpec.from_json(data)
        raw_locked = data.get("locked")
        locked = LockedVariant.from_json(raw_locked) if raw_locked else None
    except FileNotFoundError as exc:
        raise BadInput(Problem("no layer.json here: this is not a sam-layers build folder; "
                               "re-run `sam-layers transform` or `sam-layers build`",
                               file=str(path))) from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise BadInput(Problem(f"malformed layer build spec ({exc!r}); re-run "
                               "`sam-layers transform` to regenerate it", file=str(path))) from exc
    return spec, locked


__all__ = ["REQUIREMENTS_FILE", "read_spec_dir", "write_spec_dir"]
