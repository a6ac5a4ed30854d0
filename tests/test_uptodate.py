from __future__ import annotations

from pathlib import Path

from sam_layers import uptodate


def _build(tmp_path: Path) -> tuple[Path, Path]:
    build = tmp_path / "build"
    (build / "L" / "python" / "pkg").mkdir(parents=True)
    (build / "L" / "python" / "pkg" / "__init__.py").write_text("x = 1\n")
    (build / "L.zip").write_bytes(b"zip")
    template = tmp_path / "template.yaml"
    template.write_text("Resources: {}\n")
    uptodate.write_stamp(build, [template], {"verify": True}, "1.0", ["L"])
    return build, template


def test_current_until_anything_that_shaped_it_changes(tmp_path: Path) -> None:
    build, template = _build(tmp_path)
    assert uptodate.is_current(build, {"verify": True}, "1.0") == 1
    assert uptodate.is_current(build, {"verify": False}, "1.0") is None
    assert uptodate.is_current(build, {"verify": True}, "1.1") is None
    template.write_text("Resources: {A: 1}\n")
    assert uptodate.is_current(build, {"verify": True}, "1.0") is None


def test_a_touched_layer_is_not_current(tmp_path: Path) -> None:
    build, _ = _build(tmp_path)
    (build / "L" / "python" / "pkg" / "extra.py").write_text("")
    assert uptodate.is_current(build, {"verify": True}, "1.0") is None


def test_a_missing_zip_or_stamp_is_not_current(tmp_path: Path) -> None:
    build, _ = _build(tmp_path)
    (build / "L.zip").unlink()
    assert uptodate.is_current(build, {"verify": True}, "1.0") is None
    uptodate.clear_stamp(build)
    assert uptodate.is_current(build, {"verify": True}, "1.0") is None
