"""The ELF reader against binaries on this machine, checked against binutils' readelf."""

from __future__ import annotations

import os
import platform
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from sam_layers.elf import EM_AARCH64, ElfInfo, NotElf, is_elf, parse_elf, read_elf

HOST_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}.get(platform.machine())
assert EM_AARCH64 == 183


def _libc() -> Path:
    for candidate in ("/lib/x86_64-linux-gnu/libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6",
                      "/lib64/libm.so.6", "/usr/lib64/libm.so.6"):
        if Path(candidate).exists():
            return Path(candidate)
    pytest.skip("no libm.so.6 found")


def _readelf_versions(path: Path) -> set[str]:
    tool = shutil.which("readelf")
    if tool is None:
        pytest.skip("readelf is not installed")
    out = subprocess.run([tool, "-V", "-W", str(path)], capture_output=True, text=True,
                         check=True).stdout
    section = out.split("Version needs section", 1)
    if len(section) < 2:
        return set()
    return set(re.findall(r"Name: (\S+)\s+Flags", section[1]))


@pytest.mark.skipif(HOST_MACHINE is None or sys.platform != "linux", reason="Linux x86_64/aarch64")
@pytest.mark.parametrize("path", [Path(os.path.realpath(sys.executable)), None],
                         ids=["python", "libm"])
def test_host_binaries_match_readelf(path: Path | None) -> None:
    target = path or _libc()
    info = parse_elf(target)
    assert info.machine_tag == HOST_MACHINE
    assert read_elf(target) == info
    assert info.elf_class == 64
    versions = _readelf_versions(target)
    assert set(info.needed_versions) == versions
    glibc = sorted(tuple(int(p) for p in v[len("GLIBC_"):].split("."))
                   for v in versions if re.match(r"GLIBC_\d", v))
    assert list(info.glibc_needed) == glibc
    assert info.max_glibc == glibc[-1]


def test_libm_is_a_shared_object() -> None:
    info = parse_elf(_libc())
    assert info.is_shared_object is True
    assert ".gnu.version_r" in info.sections


def test_machine_names() -> None:
    info = ElfInfo(EM_AARCH64, (), ((2, 17),))
    assert (info.machine_name, info.machine_tag, info.max_glibc) == ("aarch64", "EM_AARCH64", (2, 17))
    assert ElfInfo(9999, (), ()).machine_tag == "EM_9999"
    assert ElfInfo(9999, (), ()).max_glibc is None


def test_text_and_truncated_files_are_not_elf(tmp_path: Path) -> None:
    text = tmp_path / "script.so"
    text.write_text("#!/bin/sh\n")
    truncated = tmp_path / "cut.so"
    truncated.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 20)
    assert is_elf(text) is False
    assert is_elf(truncated) is True
    assert read_elf(text) is None and read_elf(truncated) is None
    with pytest.raises(NotElf, match="not an ELF file"):
        parse_elf(text)
    with pytest.raises(NotElf, match="truncated ELF file"):
        parse_elf(truncated)


def test_big_endian_32_bit_header_without_sections(tmp_path: Path) -> None:
    # e_ident: ELFCLASS32, ELFDATA2MSB; e_type ET_DYN, e_machine EM_PPC (20), no section headers
    header = b"\x7fELF\x01\x02\x01" + b"\0" * 9 + struct.pack(">HHIIIIIHHHHHH", 3, 20, 1, 0, 0, 0,
                                                              0, 52, 0, 0, 40, 0, 0)
    path = tmp_path / "ppc.so"
    path.write_bytes(header)
    assert parse_elf(path) == ElfInfo(20, (), (), elf_class=32, is_shared_object=True)
    assert parse_elf(path).machine_tag == "EM_PPC"
