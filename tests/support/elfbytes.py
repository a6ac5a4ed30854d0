"""ELF machine numbers read straight from header bytes: a check independent of sam_layers.elf."""

from __future__ import annotations

import struct
from pathlib import Path

EM_X86_64, EM_AARCH64 = 62, 183


def elf_files(root: Path) -> list[Path]:
    out = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    out.append(path)
    return out


def elf_machine(path: Path) -> int:
    """e_machine: offset 18, 2 bytes, little endian (both Lambda architectures are)."""
    with open(path, "rb") as fh:
        head = fh.read(20)
    return int(struct.unpack_from("<H", head, 18)[0])


def elf_machines(root: Path) -> set[int]:
    return {elf_machine(p) for p in elf_files(root)}
