from __future__ import annotations

import os
import random
import shutil
import zipfile
import zlib
from pathlib import Path

import pytest

from sam_layers import zipper
from sam_layers.zipper import write_zip


def make_tree(root: Path) -> dict[str, bytes]:
    rng = random.Random(7)
    files = {
        "b/mod.py": b"print('hello')\n" * 50,
        "a/__init__.py": b"",
        "a/big.bin": bytes(rng.getrandbits(8) for _ in range(300_000)) + b"abc" * 1_200_000,
        "a/noise.bin": bytes(rng.getrandbits(8) for _ in range(5000)),
        "z\u00e9.txt": "caf\u00e9".encode(),
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    os.chmod(root / "b/mod.py", 0o750)
    return files


def test_zip_is_deterministic_sorted_and_faithful(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    files = make_tree(one)
    shutil.copytree(one, two)  # new mtimes, new inodes, other creation order
    os.utime(two / "a/big.bin", (1_000_000_000, 1_000_000_000))
    z1 = write_zip(one, tmp_path / "1.zip")
    write_zip(two, tmp_path / "2.zip", workers=1)
    assert (tmp_path / "1.zip").read_bytes() == (tmp_path / "2.zip").read_bytes()
    assert z1.entries == 5
    assert z1.bytes_in == sum(len(d) for d in files.values())
    with zipfile.ZipFile(tmp_path / "1.zip") as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == [
            "python/a/__init__.py", "python/a/big.bin", "python/a/noise.bin", "python/b/mod.py",
            "python/z\u00e9.txt",
        ]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert [oct(i.external_attr >> 16) for i in infos] == [
            "0o100644", "0o100644", "0o100644", "0o100755", "0o100644"]
        assert [i.compress_type for i in infos] == [0, 8, 0, 8, 0]  # tiny files are stored
        for info in infos:
            assert zf.read(info) == files[info.filename[len("python/"):]]


def test_multi_chunk_stream_is_close_to_one_stream(tmp_path: Path) -> None:
    make_tree(tmp_path / "src")
    write_zip(tmp_path / "src", tmp_path / "l.zip")
    data = (tmp_path / "src/a/big.bin").read_bytes()
    single = len(zlib.compress(data, 6))
    with zipfile.ZipFile(tmp_path / "l.zip") as zf:
        chunked = zf.getinfo("python/a/big.bin").compress_size
    assert chunked <= single * 1.01


def test_failure_leaves_neither_zip_nor_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path / "src")
    out = tmp_path / "out"
    out.mkdir()
    (out / "layer.zip").write_bytes(b"old")

    def boom(path: Path, index: int, size: int) -> tuple[bytes, bytes]:
        raise OSError("disk on fire")

    monkeypatch.setattr(zipper, "_deflate_chunk", boom)
    with pytest.raises(OSError, match="disk on fire"):
        write_zip(tmp_path / "src", out / "layer.zip")
    assert sorted(p.name for p in out.iterdir()) == ["layer.zip"]
    assert (out / "layer.zip").read_bytes() == b"old"
