"""Helpers the file rules share: grouping a distribution's files into one finding."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from sam_layers.verify.scan import Binary, LayerScan


def owner_label(scan: LayerScan, binary: Binary) -> str:
    """``numpy 2.4.6``, or the file's top folder when no RECORD lists it."""
    for dist in scan.distributions:
        if dist.key == binary.distribution:
            return f"{dist.name} {dist.version}"
    parts = binary.path.split("/")
    return parts[1] if len(parts) > 2 else parts[-1]


def grouped(scan: LayerScan, binaries: Iterable[Binary],
            worst: Callable[[Binary], Any]) -> list[tuple[Binary, int, str]]:
    """One (representative file, how many more, owner) per distribution.

    The representative is the worst file by ``worst`` (largest value), then the largest file,
    then the first path: the file a user is most likely to recognise.
    """
    groups: dict[str, list[Binary]] = {}
    for binary in binaries:
        groups.setdefault(owner_label(scan, binary), []).append(binary)
    out: list[tuple[Binary, int, str]] = []
    for label in sorted(groups):
        members = sorted(groups[label], key=lambda b: b.path)
        members.sort(key=lambda b: b.size, reverse=True)  # stable: ties keep path order
        members.sort(key=worst, reverse=True)
        out.append((members[0], len(members) - 1, label))
    return out


def more(count: int) -> str:
    return f" (and {count} more file{'s' if count != 1 else ''} of it)" if count else ""


def size(n: Optional[int]) -> str:
    return "unknown" if n is None else f"{n:,} bytes"
