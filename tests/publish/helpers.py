"""Small builders shared by the publish tests."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Optional

from sam_layers.publish import PublishItem

ACCOUNT = "123456789012"  # moto's default account


def layer_zip(path: Path, payload: bytes) -> Path:
    """A small deterministic layer zip holding ``payload``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("python/payload.py", date_time=(1980, 1, 1, 0, 0, 0))
        z.writestr(info, payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def make_item(zip_path: Path, name: str = "proj-data", runtime: str = "python3.12",
              architecture: str = "x86_64", group: str = "Data",
              license_info: Optional[str] = "MIT") -> PublishItem:
    return PublishItem(layer_name=name, zip_path=zip_path, runtimes=(runtime,),
                       architectures=(architecture,), description=f"sam-layers {group}: test",
                       license_info=license_info, group=group, runtime=runtime,
                       architecture=architecture)

