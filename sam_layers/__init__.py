"""sam-layers: dependency groups for AWS SAM, turned into Lambda-compatible layers.

Data flows one way: config -> plan -> transform -> lock -> build -> verify -> publish.
The library never prints; :mod:`sam_layers.cli` is the only place that talks to a terminal.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
