"""SL006: an extension module named for another CPython or another platform.

Python only loads extension modules whose file name ends in one of its own suffixes
(``importlib.machinery.EXTENSION_SUFFIXES``: ``.cpython-312-x86_64-linux-gnu.so``, ``.abi3.so``,
``.so`` on Lambda's python3.12 x86_64); any other name is skipped and the import fails or falls
back to slower code. A file that is an ELF for the wrong machine is SL004's, not repeated here.
"""

from __future__ import annotations

import re
from typing import Iterator, Optional

from sam_layers.findings import Finding, Severity
from sam_layers.platforms import Target
from sam_layers.verify.context import Context
from sam_layers.verify.rules._common import grouped, more
from sam_layers.verify.scan import Binary

ID = "SL006"
SEVERITY: Severity = "error"
TITLE = "extension module for another CPython or platform"

_TAGGED = re.compile(r"^[^.]+\.(?P<tag>[^.]+)\.(?P<ext>so|pyd)$")
_CPYTHON = re.compile(
    r"^cpython-(?P<major>\d)(?P<minor>\d+)(?P<flags>[a-z]*)(?:-(?P<platform>.+))?$")


def problem(binary: Binary, target: Target) -> Optional[str]:
    """Why the target's CPython will not load this file as an extension module, or None."""
    name = binary.path.rsplit("/", 1)[-1]
    if name.endswith(".pyd"):
        return "is a Windows extension module (.pyd)"
    m = _TAGGED.match(name)
    if not m:
        return None
    tag = m.group("tag")
    if tag == "abi3":
        return None
    if tag.startswith("pypy"):
        return f"is built for PyPy ({tag}), Lambda runs CPython"
    c = _CPYTHON.match(tag)
    if not c:
        return None
    version = (int(c.group("major")), int(c.group("minor")))
    if version != target.runtime_info.python:
        return (f"is built for CPython {version[0]}.{version[1]} ({tag}), but the function runs "
                f"{target.runtime}")
    if c.group("flags"):
        kind = "free-threaded" if "t" in c.group("flags") else "debug"
        return f"is built for a {kind} CPython ({tag}); Lambda's CPython is the default build"
    expected = f"{target.arch_info.machine}-linux-gnu"
    found = c.group("platform")
    if found and found != expected:
        if binary.machine is not None and binary.machine != target.arch_info.elf_machine:
            return None  # SL004 reports it
        return f"is named for {found} ({tag}), not {expected}"
    return None


def check(ctx: Context) -> Iterator[Finding]:
    for key, target in ctx.layer_targets():
        scan = ctx.scans[key]
        found = [(b, problem(b, target)) for b in scan.binaries
                 if any(b.path.startswith(d + "/") for d in scan.python_dirs)]
        by_reason: dict[str, list[Binary]] = {}
        for binary, why in found:
            if why is not None:
                by_reason.setdefault(_reason_kind(why), []).append(binary)
        for kind in sorted(by_reason):
            for rep, others, owner in grouped(scan, by_reason[kind], lambda b: 0):
                why = problem(rep, target)
                yield Finding(
                    ID, SEVERITY, f"{key}:{rep.path}",
                    f"{owner}: this extension module{more(others)} {why}; Python will not load "
                    f"it, so the import fails (or silently falls back to slow code) on Lambda. "
                    f"Rebuild the layer for {target} (sam-layers builds one layer per runtime "
                    f"and architecture).")


def _reason_kind(why: str) -> str:
    return why.split("(", 1)[0]
