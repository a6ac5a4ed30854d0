"""Validates an incoming order with pydantic (compiled pydantic-core: an aarch64 wheel on arm64)."""

from __future__ import annotations

from typing import Any

import pydantic
import requests


class Order(pydantic.BaseModel):
    order_id: str
    quantity: pydantic.PositiveInt
    unit_price: float


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        order = Order.model_validate(event)
    except pydantic.ValidationError as exc:
        return {"valid": False, "errors": exc.errors(include_url=False)}
    return {
        "valid": True,
        "total": order.quantity * order.unit_price,
        "pydantic": pydantic.VERSION,
        "requests": requests.__version__,
    }
