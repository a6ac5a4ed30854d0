"""Verify's result cache, keyed by layer content: an unchanged rebuild re-verifies in milliseconds.

Entries are small JSON files under ``<cache dir>/verify/``; a corrupt or unreadable entry is
treated as a miss. The cache folder is the user's (``SAM_LAYERS_CACHE_DIR``, else
``$XDG_CACHE_HOME/sam-layers``, else ``~/.cache/sam-layers``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Optional

from sam_layers.cache import cache_root


def default_cache_dir(environ: Optional[Mapping[str, str]] = None) -> Path:
    """The sam-layers cache folder (the layer builder's too: :func:`sam_layers.cache.cache_root`)."""
    return cache_root(environ)


def cache_key(*parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class ResultCache:
    """A folder of JSON results; ``None`` as the folder disables caching."""

    def __init__(self, root: Optional[Path]) -> None:
        self.root = root / "verify" if root is not None else None

    def get(self, kind: str, key: str) -> Optional[Any]:
        if self.root is None:
            return None
        try:
            return json.loads((self.root / f"{kind}-{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        if self.root is None:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{kind}-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(value, f, sort_keys=True)
            os.replace(tmp, self.root / f"{kind}-{key}.json")
        except OSError:
            pass  # a cache that cannot be written only costs time
