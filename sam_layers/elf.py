"""Just enough ELF reading for layers: machine, section names, glibc symbol versions needed.

Small and dependency-free; reads only headers and the ``.gnu.version_r`` section, so it is
cheap enough to run over every ``.so`` of a layer.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

ELF_MAGIC = b"\x7fELF"
EM_X86_64 = 62
EM_AARCH64 = 183
MACHINE_NAMES = {EM_X86_64: "x86_64", EM_AARCH64: "aarch64", 3: "i386", 40: "arm"}
_SHT_GNU_VERNEED = 0x6FFFFFFE


@dataclass(frozen=True)
class ElfInfo:
    machine: int
    sections: tuple[str, ...]
    glibc_needed: tuple[tuple[int, ...], ...]  # (2, 17), (2, 28)... from .gnu.version_r

    @property
    def machine_name(self) -> str:
        return MACHINE_NAMES.get(self.machine, str(self.machine))

    @property
    def has_debug_info(self) -> bool:
        return any(s.startswith((".debug_", ".zdebug_")) for s in self.sections)

    @property
    def max_glibc(self) -> Optional[tuple[int, ...]]:
        return max(self.glibc_needed) if self.glibc_needed else None


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


def read_elf(path: Path) -> Optional[ElfInfo]:
    """The file's ELF facts, or None when it is not a (well-formed 64/32-bit) ELF file."""
    try:
        with open(path, "rb") as fh:
            return _read(fh)
    except (OSError, struct.error, ValueError, IndexError):
        return None


def _read(fh: BinaryIO) -> Optional[ElfInfo]:
    ident = fh.read(16)
    if len(ident) < 16 or ident[:4] != ELF_MAGIC:
        return None
    is64 = ident[4] == 2
    end = "<" if ident[5] == 1 else ">"
    if is64:
        hdr = struct.unpack(end + "HHIQQQIHHHHHH", fh.read(48))
        _, machine, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx = hdr
        sh_fmt = end + "IIQQQQIIQQ"
    else:
        hdr = struct.unpack(end + "HHIIIIIHHHHHH", fh.read(36))
        _, machine, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx = hdr
        sh_fmt = end + "IIIIIIIIII"
    sections: list[tuple[int, int, int, int, int, int]] = []  # name, type, offset, size, link, info
    if shoff and shnum:
        fh.seek(shoff)
        raw = fh.read(shentsize * shnum)
        for i in range(shnum):
            f = struct.unpack_from(sh_fmt, raw, i * shentsize)
            # name, type, flags, addr, offset, size, link, info, ...
            sections.append((f[0], f[1], f[4], f[5], f[6], f[7]))
    names: list[str] = []
    if sections and shstrndx < len(sections):
        _, _, str_off, str_size, _, _ = sections[shstrndx]
        fh.seek(str_off)
        table = fh.read(str_size)
        for sec in sections:
            stop = table.find(b"\0", sec[0])
            names.append(table[sec[0]:stop if stop >= 0 else None].decode("ascii", "replace"))
    glibc: set[tuple[int, ...]] = set()
    for sec in sections:
        if sec[1] != _SHT_GNU_VERNEED:
            continue
        strtab = sections[sec[4]]
        fh.seek(strtab[2])
        dynstr = fh.read(strtab[3])
        fh.seek(sec[2])
        data = fh.read(sec[3])
        offset, remaining = 0, sec[5]
        while remaining > 0 and offset + 16 <= len(data):
            _, cnt, _, aux, nxt = struct.unpack_from(end + "HHIII", data, offset)
            aux_off = offset + aux
            for _ in range(cnt):
                _, _, _, vna_name, vna_next = struct.unpack_from(end + "IHHII", data, aux_off)
                stop = dynstr.find(b"\0", vna_name)
                name = dynstr[vna_name:stop].decode("ascii", "replace")
                if name.startswith("GLIBC_") and name[6:7].isdigit():
                    glibc.add(tuple(int(p) for p in name[6:].split(".") if p.isdigit()))
                if not vna_next:
                    break
                aux_off += vna_next
            remaining -= 1
            if not nxt:
                break
            offset += nxt
    return ElfInfo(machine=machine, sections=tuple(names), glibc_needed=tuple(sorted(glibc)))
