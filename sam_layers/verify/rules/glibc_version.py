"""SL005: a binary needing a GLIBC_x.y symbol version newer than the runtime OS's glibc."""

from __future__ import annotations

from typing import Iterator

from sam_layers.findings import Finding, Severity
from sam_layers.platforms import RUNTIMES
from sam_layers.verify.context import Context
from sam_layers.verify.rules._common import grouped, more

ID = "SL005"
SEVERITY: Severity = "error"
TITLE = "binary needs a newer glibc than the runtime's OS"


def check(ctx: Context) -> Iterator[Finding]:
    for key, target in ctx.layer_targets():
        scan = ctx.scans[key]
        info = target.runtime_info
        have = info.glibc
        too_new = [b for b in scan.binaries
                   if b.machine == target.arch_info.elf_machine and b.max_glibc
                   and b.max_glibc > have]
        newer = [r.name for r in RUNTIMES.values() if r.os != info.os and r.glibc > have]
        for rep, others, owner in grouped(scan, too_new, lambda b: b.max_glibc):
            need = rep.max_glibc or (0, 0)
            fix = (f", or move the function to {newer[0]}+ ({RUNTIMES[newer[0]].os}, glibc "
                   f"{_v(RUNTIMES[newer[0]].glibc)})" if newer else "")
            yield Finding(
                ID, SEVERITY, f"{key}:{rep.path}",
                f"{owner}: this binary{more(others)} needs GLIBC_{_v(need)}, but "
                f"{target.runtime} runs on {info.os} with glibc {_v(have)}; the import fails on "
                f"Lambda with \"version `GLIBC_{_v(need)}' not found\". Use a release of "
                f"{owner.split(' ')[0]} with manylinux_{have[0]}_{have[1]} (or manylinux2014) "
                f"wheels: rebuild with sam-layers build, or pin an older version{fix}.")


def _v(version: tuple[int, ...]) -> str:
    return ".".join(str(p) for p in version)
