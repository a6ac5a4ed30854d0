"""Summarises a CSV (fetched over HTTP, or given inline) with pandas.

`requests` comes from the Web layer, `pandas` and `numpy` from the Data layer.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd
import requests

SAMPLE = "city,temperature\nOslo,4.5\nLisbon,17.0\nOslo,6.5\nLisbon,19.0\n"


def summarise(csv_text: str) -> dict[str, Any]:
    frame = pd.read_csv(io.StringIO(csv_text))
    means = frame.groupby("city")["temperature"].mean()
    return {
        "rows": int(len(frame)),
        "mean_by_city": {str(k): float(v) for k, v in means.items()},
        "overall_std": float(np.std(frame["temperature"].to_numpy())),
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    url = event.get("csv_url")
    if url:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        csv_text = response.text
    else:
        csv_text = event.get("csv", SAMPLE)
    return summarise(csv_text)
