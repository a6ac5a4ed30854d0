"""Deterministic layer zips, compressed in parallel.

The same folder always gives the same bytes: entries sorted by name, every timestamp
1980-01-01 00:00, modes 0o644 (0o755 for executables), no extra fields, no directory
entries. So an unchanged group never makes a new layer version.

Compression runs in threads (zlib releases the GIL): each file, and each 1 MiB chunk of a
large file, is deflated independently at level 6. Chunks of one file are joined into one
valid deflate stream the way pigz does it: every chunk but the last ends on a sync flush,
and each is primed with the 32 KiB before it, so the ratio stays within a hair of one
single stream. The zip is written to a temp file beside the destination, then renamed.
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Deque, Iterator, Optional

from sam_layers.errors import ToolError

LEVEL = 6
CHUNK = 1 << 20
WINDOW = 1 << 15
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_MADE_BY_UNIX = (3 << 8) | 20


@dataclass(frozen=True)
class ZipResult:
    path: Path
    entries: int
    bytes_in: int
    bytes_out: int


def _files(root: Path, prefix: str) -> list[tuple[str, Path, int, int]]:
    """(arcname, path, size, mode) of every file under root, sorted by arcname."""
    out: list[tuple[str, Path, int, int]] = []
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        for name in files:
            path = Path(dirpath, name)
            st = path.stat()  # follows a symlink: the layer gets the file's content
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            mode = 0o755 if st.st_mode & 0o111 else 0o644
            out.append((f"{prefix}{rel}", path, st.st_size, mode))
    out.sort(key=lambda item: item[0])
    return out


def _read(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(offset)
        return fh.read(length)


def _deflate_chunk(path: Path, index: int, size: int) -> tuple[bytes, bytes]:
    """(raw, deflated) of chunk ``index`` of a file; the raw data feeds the CRC."""
    start = index * CHUNK
    last = start + CHUNK >= size
    if index == 0:
        raw = _read(path, 0, CHUNK if size > CHUNK else size)
        comp = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    else:
        primed = _read(path, start - WINDOW, WINDOW + CHUNK)
        dictionary, raw = primed[:WINDOW], primed[WINDOW:]
        comp = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, zdict=dictionary)
    data = comp.compress(raw) + (comp.flush() if last else comp.flush(zlib.Z_SYNC_FLUSH))
    return raw, data


def _local_header(name: bytes, flags: int, method: int, crc: int, csize: int, usize: int) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, _DOS_TIME, _DOS_DATE,
                       crc, csize, usize, len(name), 0) + name


def _central_entry(name: bytes, flags: int, method: int, crc: int, csize: int, usize: int,
                   mode: int, offset: int) -> bytes:
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, _MADE_BY_UNIX, 20, flags, method,
                       _DOS_TIME, _DOS_DATE, crc, csize, usize, len(name), 0, 0, 0, 0,
                       (0o100000 | mode) << 16, offset) + name


def write_zip(source: Path, dest: Path, *, prefix: str = "python/",
              workers: Optional[int] = None) -> ZipResult:
    """Zip the folder ``source`` as ``<prefix><relative path>`` entries into ``dest``, atomically."""
    files = _files(source, prefix)
    if len(files) >= 0xFFFF:
        raise ToolError(f"{source}: {len(files)} files is more than a plain zip holds (65,535)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    threads = workers or min(8, os.cpu_count() or 1)
    bytes_in = 0
    try:
        with os.fdopen(fd, "wb") as out, ThreadPoolExecutor(max_workers=threads) as pool:
            central = _write_entries(out, files, pool, threads)
            bytes_in = sum(f[2] for f in files)
            cd_offset = out.tell()
            for entry in central:
                out.write(entry)
            cd_size = out.tell() - cd_offset
            out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                                  cd_size, cd_offset, 0))
            if out.tell() >= 0xFFFFFFFF:
                raise ToolError(f"{dest}: the zip would exceed 4 GiB")
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, dest)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
    return ZipResult(path=dest, entries=len(files), bytes_in=bytes_in, bytes_out=dest.stat().st_size)


def _write_entries(out: BinaryIO, files: list[tuple[str, Path, int, int]],
                   pool: ThreadPoolExecutor, threads: int) -> list[bytes]:
    def tasks() -> Iterator[tuple[int, "Future[tuple[bytes, bytes]]"]]:
        for i, (_, path, size, _) in enumerate(files):
            for chunk in range(max(1, -(-size // CHUNK))):
                yield i, pool.submit(_deflate_chunk, path, chunk, size)

    pending: Deque[tuple[int, "Future[tuple[bytes, bytes]]"]] = deque()
    source = tasks()
    ahead = threads * 8

    def fill() -> None:
        while len(pending) < ahead:
            nxt = next(source, None)
            if nxt is None:
                return
            pending.append(nxt)

    central: list[bytes] = []
    fill()
    for i, (arcname, _path, size, mode) in enumerate(files):
        raws: list[bytes] = []
        parts: list[bytes] = []
        while pending and pending[0][0] == i:
            _, fut = pending.popleft()
            raw, data = fut.result()
            raws.append(raw)
            parts.append(data)
            fill()
        crc = 0
        for raw in raws:
            crc = zlib.crc32(raw, crc)
        usize = sum(len(r) for r in raws)
        if usize != size:
            raise ToolError(f"{_path}: changed while it was being zipped")
        deflated = b"".join(parts)
        if len(deflated) < usize:
            method, payload = 8, deflated
        else:
            method, payload = 0, b"".join(raws)
        name = arcname.encode("utf-8")
        flags = 0 if arcname.isascii() else 0x800
        offset = out.tell()
        out.write(_local_header(name, flags, method, crc, len(payload), usize))
        out.write(payload)
        central.append(_central_entry(name, flags, method, crc, len(payload), usize, mode, offset))
    return central


__all__ = ["ZipResult", "write_zip"]
