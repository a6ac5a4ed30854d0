"""Command-line interface: ``sam-layers`` and ``python -m sam_layers``."""

from sam_layers.cli._app import cli, main

# Each command lives in its own module and registers itself on import, one line each:
from sam_layers.cli import transform as _transform  # noqa: F401,E402
from sam_layers.cli import build_layer as _build_layer  # noqa: F401,E402
from sam_layers.cli import lock as _lock  # noqa: F401,E402
from sam_layers.cli import build as _build  # noqa: F401,E402
from sam_layers.cli import plan as _plan  # noqa: F401,E402
from sam_layers.cli import verify as _verify  # noqa: F401,E402
from sam_layers.cli import publish as _publish  # noqa: F401,E402

__all__ = ["cli", "main"]
