from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from sam_layers.cache import LayerCache, cache_root, layer_key, link_or_copy_tree


def test_cache_root_precedence(tmp_path: Path) -> None:
    assert cache_root({"SAM_LAYERS_CACHE_DIR": "/a", "XDG_CACHE_HOME": "/b"}) == Path("/a")
    assert cache_root({"XDG_CACHE_HOME": "/b"}) == Path("/b/sam-layers")
    assert cache_root({}) == Path.home() / ".cache" / "sam-layers"


def test_layer_key_covers_every_part() -> None:
    base = {"runtime": "python3.12", "packages": [["a", "1"]], "slim": {"tests": True}}
    key = layer_key(base)
    assert len(key) == 32
    assert layer_key(dict(base)) == key
    for change in ({"runtime": "python3.11"}, {"packages": [["a", "2"]]}, {"slim": {"tests": False}}):
        assert layer_key({**base, **change}) != key


def test_put_publishes_whole_entries_only(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)

    def fill(tmp: Path) -> dict[str, Any]:
        (tmp / "python").mkdir()
        (tmp / "python" / "m.py").write_text("x")
        return {"files": 1}

    entry = cache.put("k1", fill)
    assert entry.meta == {"files": 1}
    assert cache.get("k1") == entry
    assert sorted(p.name for p in (tmp_path / "layers" / "k1").iterdir()) == ["entry.json", "python"]


def test_interrupted_fill_leaves_no_entry_and_no_temp(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)

    def fill(tmp: Path) -> dict[str, Any]:
        (tmp / "python").mkdir()
        (tmp / "python" / "half.py").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.put("k2", fill)
    assert cache.get("k2") is None
    assert list((tmp_path / "layers").iterdir()) == []


def test_second_writer_of_a_key_gets_the_first_entry(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    first = cache.put("k", lambda tmp: {"n": 1})

    def racing(tmp: Path) -> dict[str, Any]:
        return {"n": 2}

    # Simulate the race: the entry appears between our get() and our rename.
    assert cache.put("k", racing).meta == first.meta
    assert [p.name for p in (tmp_path / "layers").iterdir()] == ["k"]


def test_link_or_copy_tree_links(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "a" / "f").write_text("1")
    link_or_copy_tree(src, tmp_path / "dst")
    assert os.stat(tmp_path / "dst" / "a" / "f").st_ino == os.stat(src / "a" / "f").st_ino


def test_temp_folders_of_killed_builds_are_removed_when_old(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    old, young = tmp_path / "layers" / ".tmp-old", tmp_path / "layers" / ".tmp-young"
    old.mkdir(parents=True)
    young.mkdir()
    os.utime(old, (1, 1))
    cache.put("k", lambda tmp: {})
    assert sorted(p.name for p in (tmp_path / "layers").iterdir()) == [".tmp-young", "k"]
