"""Session fixtures for the verify tests: real layers built with uv, once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.verify.helpers import Layers


@pytest.fixture(scope="session")
def layers(tmp_path_factory: pytest.TempPathFactory) -> Layers:
    return Layers(tmp_path_factory.mktemp("layers"))


@pytest.fixture(scope="session")
def code_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("code")
    (folder / "app.py").write_text("def handler(event, context):\n    return 'ok'\n")
    return folder
