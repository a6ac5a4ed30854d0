"""The same group on python3.11 / x86_64: its layer holds cp311 x86_64 wheels."""

from __future__ import annotations

import sys
from typing import Any

import pydantic
import requests


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "pydantic": pydantic.VERSION,
        "requests": requests.__version__,
    }
