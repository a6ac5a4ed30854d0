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

from sam_layers.elf import ElfInfo, NotElf, is_elf, read_elf

HOST_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}.get(platform.machine())


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
    info = read_elf(target)
    assert info.machine == HOST_MACHINE
    assert info.elf_class == 64
    assert set(info.needed_versions) == _readelf_versions(target)
    assert info.max_glibc == max(info.glibc_versions)
    assert all(v.startswith("GLIBC_") or not v.startswith("GLIBC_2") for v in info.needed_versions)


def test_libm_is_a_shared_object() -> None:
    assert read_elf(_libc()).is_shared_object is True


def test_glibc_versions_ignore_other_version_names() -> None:
    info = ElfInfo("EM_X86_64", 64, True,
                   ("GCC_3.0", "GLIBCXX_3.4.29", "GLIBC_2.17", "GLIBC_2.2.5", "GLIBC_2.28"))
    assert info.glibc_versions == ((2, 2), (2, 17), (2, 28))
    assert info.max_glibc == (2, 28)
    assert info.machine_name == "x86_64"


def test_text_and_truncated_files_are_not_elf(tmp_path: Path) -> None:
    text = tmp_path / "script.so"
    text.write_text("#!/bin/sh\n")
    truncated = tmp_path / "cut.so"
    truncated.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 20)
    assert is_elf(text) is False
    assert is_elf(truncated) is True
    with pytest.raises(NotElf, match="not an ELF file"):
        read_elf(text)
    with pytest.raises(NotElf, match="truncated ELF file"):
        read_elf(truncated)


def test_big_endian_32_bit_header_without_sections(tmp_path: Path) -> None:
    # e_ident: ELFCLASS32, ELFDATA2MSB; e_type ET_DYN, e_machine EM_PPC (20), no section headers
    header = b"\x7fELF\x01\x02\x01" + b"\0" * 9 + struct.pack(">HHIIIIIHHHHHH", 3, 20, 1, 0, 0, 0,
                                                              0, 52, 0, 0, 40, 0, 0)
    path = tmp_path / "ppc.so"
    path.write_bytes(header)
    assert read_elf(path) == ElfInfo("EM_PPC", 32, True, ())
