"""A small ELF reader: just what verify needs, reading only the headers and sections it uses.

For a shared object in a layer it answers: which machine is it for (``e_machine``), is it a
shared object, and which ``GLIBC_x.y`` symbol versions does it need (from ``.gnu.version_r``,
the section the dynamic loader checks; a version above the OS's glibc fails at import time with
``version `GLIBC_2.28' not found``). Format: the System V gABI and the LSB's symbol versioning
chapter (Elf*_Verneed / Elf*_Vernaux).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional, Union

ELF_MAGIC = b"\x7fELF"
ET_DYN = 3
SHT_GNU_VERNEED = 0x6FFFFFFE

# e_machine values, named as pyelftools (and platforms.ArchInfo.elf_machine) spell them.
MACHINES: dict[int, str] = {
    3: "EM_386",
    8: "EM_MIPS",
    20: "EM_PPC",
    21: "EM_PPC64",
    22: "EM_S390",
    40: "EM_ARM",
    62: "EM_X86_64",
    183: "EM_AARCH64",
    243: "EM_RISCV",
    258: "EM_LOONGARCH",
}
# The same machines as ``uname -m`` / wheel platform tags name them, for messages.
MACHINE_NAMES: dict[str, str] = {
    "EM_386": "i686",
    "EM_MIPS": "mips",
    "EM_PPC": "ppc",
    "EM_PPC64": "ppc64",
    "EM_S390": "s390x",
    "EM_ARM": "armv7l",
    "EM_X86_64": "x86_64",
    "EM_AARCH64": "aarch64",
    "EM_RISCV": "riscv64",
    "EM_LOONGARCH": "loongarch64",
}

_GLIBC_VERSION = re.compile(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")


class NotElf(ValueError):
    """The file is not an ELF file, or is truncated or malformed."""


@dataclass(frozen=True)
class ElfInfo:
    machine: str  # "EM_X86_64", or "EM_<number>" for machines not in MACHINES
    elf_class: int  # 32 or 64
    is_shared_object: bool
    needed_versions: tuple[str, ...]  # every version name in .gnu.version_r, sorted

    @property
    def machine_name(self) -> str:
        return MACHINE_NAMES.get(self.machine, self.machine)

    @property
    def glibc_versions(self) -> tuple[tuple[int, int], ...]:
        """The ``GLIBC_x.y`` versions needed, ascending."""
        found = set()
        for name in self.needed_versions:
            m = _GLIBC_VERSION.match(name)
            if m:
                found.add((int(m.group(1)), int(m.group(2))))
        return tuple(sorted(found))

    @property
    def max_glibc(self) -> Optional[tuple[int, int]]:
        versions = self.glibc_versions
        return versions[-1] if versions else None


def is_elf(path: Union[str, Path]) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == ELF_MAGIC
    except OSError:
        return False


def read_elf(path: Union[str, Path]) -> ElfInfo:
    """Read an ELF file's machine, type and needed symbol versions. Raises :class:`NotElf`."""
    with open(path, "rb") as f:
        return _read(f)


def _read(f: BinaryIO) -> ElfInfo:
    ident = f.read(16)
    if len(ident) < 16 or ident[:4] != ELF_MAGIC:
        raise NotElf("not an ELF file")
    if ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise NotElf("unknown ELF class or data encoding")
    is64 = ident[4] == 2
    end = "<" if ident[5] == 1 else ">"
    if is64:
        head = _unpack(f, end + "HHIQQQIHHHHHH")
        e_type, e_machine, _, _, _, e_shoff, _, _, _, _, e_shentsize, e_shnum, e_shstrndx = head
    else:
        head = _unpack(f, end + "HHIIIIIHHHHHH")
        e_type, e_machine, _, _, _, e_shoff, _, _, _, _, e_shentsize, e_shnum, e_shstrndx = head
    machine = MACHINES.get(e_machine, f"EM_{e_machine}")
    versions = _needed_versions(f, end, is64, e_shoff, e_shentsize, e_shnum)
    return ElfInfo(machine, 64 if is64 else 32, e_type == ET_DYN, tuple(sorted(set(versions))))


def _unpack(f: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise NotElf("truncated ELF file")
    return struct.unpack(fmt, data)


def _needed_versions(f: BinaryIO, end: str, is64: bool, shoff: int, shentsize: int,
                     shnum: int) -> list[str]:
    """Version names of the SHT_GNU_verneed section, read through its linked string table."""
    if shoff == 0 or shnum == 0:
        return []
    shdr = end + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII")
    if shentsize < struct.calcsize(shdr):
        raise NotElf("bad section header size")
    f.seek(shoff)
    table = f.read(shentsize * shnum)
    if len(table) != shentsize * shnum:
        raise NotElf("truncated section header table")
    sections = [struct.unpack_from(shdr, table, i * shentsize) for i in range(shnum)]
    names: list[str] = []
    for sec in sections:
        sh_type, sh_offset, sh_size, sh_link, sh_info = sec[1], sec[4], sec[5], sec[6], sec[7]
        if sh_type != SHT_GNU_VERNEED or sh_link >= shnum:
            continue
        strtab = sections[sh_link]
        f.seek(strtab[4])
        strings = f.read(strtab[5])
        f.seek(sh_offset)
        data = f.read(sh_size)
        names += _parse_verneed(data, end, sh_info, strings)
    return names


def _parse_verneed(data: bytes, end: str, count: int, strings: bytes) -> list[str]:
    names: list[str] = []
    offset = 0
    for _ in range(count):
        if offset + 16 > len(data):
            raise NotElf("truncated .gnu.version_r")
        _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from(end + "HHIII", data, offset)
        aux = offset + vn_aux
        for _ in range(vn_cnt):
            if aux + 16 > len(data):
                raise NotElf("truncated .gnu.version_r")
            _, _, _, vna_name, vna_next = struct.unpack_from(end + "IHHII", data, aux)
            names.append(_cstring(strings, vna_name))
            if vna_next == 0:
                break
            aux += vna_next
        if vn_next == 0:
            break
        offset += vn_next
    return names


def _cstring(strings: bytes, offset: int) -> str:
    stop = strings.find(b"\0", offset)
    return strings[offset:stop if stop >= 0 else len(strings)].decode("ascii", "replace")
