"""GET /status: reports whether an upstream HTTP service answers. `requests` comes from the Web layer."""

from __future__ import annotations

import json
import os
from typing import Any

import requests

UPSTREAM = os.environ.get("UPSTREAM_URL", "https://checkip.amazonaws.com")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        response = requests.get(UPSTREAM, timeout=5)
        body = {"upstream": UPSTREAM, "status": response.status_code, "requests": requests.__version__}
        code = 200
    except requests.RequestException as exc:
        body = {"upstream": UPSTREAM, "error": str(exc)}
        code = 502
    return {"statusCode": code, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
