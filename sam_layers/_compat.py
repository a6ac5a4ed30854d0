"""Standard-library backports, in one place."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["tomllib"]
