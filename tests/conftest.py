from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("SAM_CLI_TELEMETRY", "0")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # Layer/verify caches the tests own; wheel downloads stay in UV_CACHE_DIR (set by make).
    if "SAM_LAYERS_CACHE_DIR" not in os.environ:
        monkeypatch.setenv("SAM_LAYERS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "sam-layers-cache"))
