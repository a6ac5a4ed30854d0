"""SL004: a binary in a layer built for another architecture (or not a Linux ELF file at all)."""

from __future__ import annotations

from typing import Iterator

from sam_layers.elf import MACHINE_NAMES, MACHINE_TAGS
from sam_layers.findings import Finding, Severity
from sam_layers.verify.context import Context
from sam_layers.verify.rules._common import grouped, more

ID = "SL004"
SEVERITY: Severity = "error"
TITLE = "binary for the wrong architecture"


def check(ctx: Context) -> Iterator[Finding]:
    for key, target in ctx.layer_targets():
        scan = ctx.scans[key]
        want = target.arch_info.elf_machine
        wrong = [b for b in scan.binaries if b.machine != want]
        for rep, others, owner in grouped(scan, wrong, lambda b: 0):
            if rep.machine is None:
                what = "is not a Linux ELF file (a macOS or Windows build?)"
            else:
                what = f"is built for {_machine_name(rep.machine)}"
            yield Finding(
                ID, SEVERITY, f"{key}:{rep.path}",
                f"{owner}: this binary{more(others)} {what}, but the layer runs on "
                f"{target.architecture} ({target}); it fails to load on Lambda. Rebuild the layer "
                f"for {target.architecture} (sam-layers build installs "
                f"{target.arch_info.machine} wheels), or set the function's Architectures to "
                f"match.")


def _machine_name(tag: str) -> str:
    for number, name in MACHINE_TAGS.items():
        if name == tag:
            return MACHINE_NAMES[number]
    return tag
