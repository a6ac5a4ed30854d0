"""Just enough ELF reading for layers: machine, type, section names, symbol versions needed.

Small and dependency-free; it reads only the ELF header, the section header table, the
section-name table and ``.gnu.version_r`` (with its string table), so it is cheap enough to
run over every ``.so`` of a layer. ``.gnu.version_r`` is what the dynamic loader checks: a
``GLIBC_2.28`` entry there fails on an older glibc with ``version `GLIBC_2.28' not found``.
Format: the System V gABI, and the LSB's symbol versioning (Elf*_Verneed / Elf*_Vernaux).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional, Union

ELF_MAGIC = b"\x7fELF"
ET_DYN = 3
EM_386 = 3
EM_ARM = 40
EM_X86_64 = 62
EM_AARCH64 = 183
_SHT_GNU_VERNEED = 0x6FFFFFFE

# e_machine -> ``uname -m`` / wheel platform spelling, for messages.
MACHINE_NAMES: dict[int, str] = {
    EM_386: "i686", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", EM_ARM: "armv7l",
    EM_X86_64: "x86_64", EM_AARCH64: "aarch64", 243: "riscv64", 258: "loongarch64",
}
# e_machine -> its gABI constant name, as pyelftools and ``platforms.ArchInfo.elf_machine``
# spell it.
MACHINE_TAGS: dict[int, str] = {
    EM_386: "EM_386", 8: "EM_MIPS", 20: "EM_PPC", 21: "EM_PPC64", 22: "EM_S390", EM_ARM: "EM_ARM",
    EM_X86_64: "EM_X86_64", EM_AARCH64: "EM_AARCH64", 243: "EM_RISCV", 258: "EM_LOONGARCH",
}

_GLIBC = re.compile(r"^GLIBC_(\d+(?:\.\d+)+)$")


class NotElf(ValueError):
    """Not an ELF file, or a truncated or malformed one."""


@dataclass(frozen=True)
class ElfInfo:
    machine: int  # e_machine: EM_X86_64, EM_AARCH64...
    sections: tuple[str, ...]
    glibc_needed: tuple[tuple[int, ...], ...]  # (2, 17), (2, 28)... from .gnu.version_r, sorted
    elf_class: int = 64  # 32 or 64
    is_shared_object: bool = False  # e_type == ET_DYN
    needed_versions: tuple[str, ...] = ()  # every version name in .gnu.version_r, sorted

    @property
    def machine_name(self) -> str:
        return MACHINE_NAMES.get(self.machine, str(self.machine))

    @property
    def machine_tag(self) -> str:
        """``EM_X86_64``: the spelling of :attr:`sam_layers.platforms.ArchInfo.elf_machine`."""
        return MACHINE_TAGS.get(self.machine, f"EM_{self.machine}")

    @property
    def has_debug_info(self) -> bool:
        return any(s.startswith((".debug_", ".zdebug_")) for s in self.sections)

    @property
    def max_glibc(self) -> Optional[tuple[int, ...]]:
        return max(self.glibc_needed) if self.glibc_needed else None


def is_elf(path: Union[str, Path]) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == ELF_MAGIC
    except OSError:
        return False


def read_elf(path: Union[str, Path]) -> Optional[ElfInfo]:
    """The file's ELF facts, or None when it is not a well-formed ELF file (or unreadable)."""
    try:
        return parse_elf(path)
    except (OSError, NotElf):
        return None


def parse_elf(path: Union[str, Path]) -> ElfInfo:
    """Like :func:`read_elf`, but says why: raises :class:`NotElf` (or ``OSError``)."""
    with open(path, "rb") as fh:
        try:
            return _read(fh)
        except (struct.error, IndexError) as exc:
            raise NotElf(f"malformed ELF file: {exc}") from exc


def _read(fh: BinaryIO) -> ElfInfo:
    ident = fh.read(16)
    if len(ident) < 16 or ident[:4] != ELF_MAGIC:
        raise NotElf("not an ELF file")
    if ident[4] not in (1, 2) or ident[5] not in (1, 2):
        raise NotElf("unknown ELF class or data encoding")
    is64 = ident[4] == 2
    end = "<" if ident[5] == 1 else ">"
    hdr = _unpack(fh, end + ("HHIQQQIHHHHHH" if is64 else "HHIIIIIHHHHHH"))
    e_type, machine, _, _, _, shoff, _, _, _, _, shentsize, shnum, shstrndx = hdr
    sh_fmt = end + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII")
    # name, type, offset, size, link, info of every section
    sections: list[tuple[int, int, int, int, int, int]] = []
    if shoff and shnum:
        if shentsize < struct.calcsize(sh_fmt):
            raise NotElf("bad section header size")
        fh.seek(shoff)
        raw = fh.read(shentsize * shnum)
        if len(raw) != shentsize * shnum:
            raise NotElf("truncated section header table")
        for i in range(shnum):
            f = struct.unpack_from(sh_fmt, raw, i * shentsize)
            sections.append((f[0], f[1], f[4], f[5], f[6], f[7]))
    names: list[str] = []
    if sections and shstrndx < len(sections):
        table = _section_bytes(fh, sections[shstrndx])
        names = [_cstring(table, sec[0]) for sec in sections]
    versions: list[str] = []
    for sec in sections:
        if sec[1] == _SHT_GNU_VERNEED and sec[4] < len(sections):
            versions += _verneed(_section_bytes(fh, sec), end, sec[5],
                                 _section_bytes(fh, sections[sec[4]]))
    glibc = {tuple(int(p) for p in m.group(1).split("."))
             for m in (_GLIBC.match(v) for v in versions) if m}
    return ElfInfo(machine=machine, sections=tuple(names), glibc_needed=tuple(sorted(glibc)),
                   elf_class=64 if is64 else 32, is_shared_object=e_type == ET_DYN,
                   needed_versions=tuple(sorted(set(versions))))


def _unpack(fh: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise NotElf("truncated ELF file")
    return struct.unpack(fmt, data)


def _section_bytes(fh: BinaryIO, sec: tuple[int, int, int, int, int, int]) -> bytes:
    fh.seek(sec[2])
    return fh.read(sec[3])


def _verneed(data: bytes, end: str, count: int, strings: bytes) -> list[str]:
    """Version names of an SHT_GNU_verneed section (``count`` entries, from sh_info)."""
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
            if not vna_next:
                break
            aux += vna_next
        if not vn_next:
            break
        offset += vn_next
    return names


def _cstring(table: bytes, offset: int) -> str:
    stop = table.find(b"\0", offset)
    return table[offset:stop if stop >= 0 else len(table)].decode("ascii", "replace")
