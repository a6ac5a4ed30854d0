"""Everything sam-layers knows about Lambda's Python platforms, in one table.

Sources:
- Runtimes, their OS and architectures: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
- glibc of the OS images: Amazon Linux 2 ships glibc 2.26, Amazon Linux 2023 ships glibc 2.34
  (https://docs.aws.amazon.com/linux/al2023/ug/compare-with-al2.html).
- Layer layout (``python/`` on ``sys.path``) and limits (5 layers, 262,144,000 bytes unzipped,
  50 MB direct upload): https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
- manylinux tags: PEP 600 (``manylinux_2_X``) with the legacy aliases of PEP 599/571/513.
- Packages already in the runtime: the AWS SDK for Python is part of every Python runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from packaging.tags import Tag, compatible_tags, cpython_tags

MAX_LAYERS = 5
MAX_UNZIPPED_BYTES = 262_144_000
MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024
LAYER_PYTHON_DIR = "python"


@dataclass(frozen=True)
class RuntimeInfo:
    name: str  # "python3.12"
    python: tuple[int, int]  # CPython (major, minor)
    os: str  # the OS image the runtime runs on
    glibc: tuple[int, int]

    @property
    def python_version(self) -> str:
        return f"{self.python[0]}.{self.python[1]}"

    @property
    def cpython_abi(self) -> str:
        return f"cp{self.python[0]}{self.python[1]}"


@dataclass(frozen=True)
class ArchInfo:
    name: str  # Lambda's name: "x86_64" | "arm64"
    machine: str  # uname -m / wheel platform suffix: "x86_64" | "aarch64"
    elf_machine: str  # e_machine as pyelftools spells it


_AL2 = ("Amazon Linux 2", (2, 26))
_AL2023 = ("Amazon Linux 2023", (2, 34))

RUNTIMES: Mapping[str, RuntimeInfo] = {
    info.name: info
    for info in (
        RuntimeInfo("python3.9", (3, 9), *_AL2),
        RuntimeInfo("python3.10", (3, 10), *_AL2),
        RuntimeInfo("python3.11", (3, 11), *_AL2),
        RuntimeInfo("python3.12", (3, 12), *_AL2023),
        RuntimeInfo("python3.13", (3, 13), *_AL2023),
        RuntimeInfo("python3.14", (3, 14), *_AL2023),
    )
}

ARCHITECTURES: Mapping[str, ArchInfo] = {
    "x86_64": ArchInfo("x86_64", "x86_64", "EM_X86_64"),
    "arm64": ArchInfo("arm64", "aarch64", "EM_AARCH64"),
}
DEFAULT_ARCHITECTURE = "x86_64"

# Distributions every Python runtime already provides (the AWS SDK); left out of layers
# unless a group names one of them explicitly (then the whole SDK is kept, consistently).
RUNTIME_PROVIDED: frozenset[str] = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})

# The manylinux levels uv's --python-platform knows (uv 0.9+); a target uses the newest one
# not above its glibc. AL2's 2.26 therefore resolves as manylinux_2_17 (= manylinux2014).
_UV_MANYLINUX_MINORS = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
# Legacy names of manylinux levels (PEP 513/571/599); aarch64 wheels start at 2_17.
_LEGACY_ALIASES = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}


@dataclass(frozen=True)
class Target:
    """What a layer is built for: one Lambda runtime on one architecture."""

    runtime: str
    architecture: str = DEFAULT_ARCHITECTURE

    @property
    def runtime_info(self) -> RuntimeInfo:
        return RUNTIMES[self.runtime]

    @property
    def arch_info(self) -> ArchInfo:
        return ARCHITECTURES[self.architecture]

    def __str__(self) -> str:
        return f"{self.runtime}/{self.architecture}"


def manylinux_platforms(target: Target) -> list[str]:
    """Wheel platform tags the target accepts, newest manylinux level first."""
    machine = target.arch_info.machine
    glibc_minor = target.runtime_info.glibc[1]
    lowest = 17 if machine == "aarch64" else 5
    tags: list[str] = []
    for minor in range(glibc_minor, lowest - 1, -1):
        tags.append(f"manylinux_2_{minor}_{machine}")
        alias = _LEGACY_ALIASES.get(minor)
        if alias and not (machine == "aarch64" and minor < 17):
            tags.append(f"{alias}_{machine}")
    return tags


def supported_tags(target: Target) -> list[Tag]:
    """Every wheel tag the target's CPython accepts, most specific first (like ``pip debug``)."""
    info = target.runtime_info
    platforms = manylinux_platforms(target)
    tags = list(cpython_tags(info.python, platforms=platforms))
    tags += list(compatible_tags(info.python, interpreter=info.cpython_abi, platforms=platforms))
    return tags


def uv_python_platform(target: Target) -> str:
    """The value for ``uv pip --python-platform``: newest manylinux level uv knows within glibc."""
    glibc_minor = target.runtime_info.glibc[1]
    minor = max(m for m in _UV_MANYLINUX_MINORS if m <= glibc_minor)
    return f"{target.arch_info.machine}-manylinux_2_{minor}"


def uv_python_platform_ceiling(target: Target) -> str:
    """The lowest manylinux level uv knows at or above the target's glibc.

    uv knows no level between 2_17 and 2_28, so AL2's 2.26 cannot be named exactly. Resolving
    at this ceiling and keeping only wheels :func:`supported_tags` accepts finds wheels such as
    pandas' ``manylinux_2_24`` ones that :func:`uv_python_platform` alone would miss.
    """
    glibc_minor = target.runtime_info.glibc[1]
    minor = min((m for m in _UV_MANYLINUX_MINORS if m >= glibc_minor), default=_UV_MANYLINUX_MINORS[-1])
    return f"{target.arch_info.machine}-manylinux_2_{minor}"


def pip_platforms(target: Target) -> list[str]:
    """Values for pip's repeated ``--platform`` option."""
    return manylinux_platforms(target)
