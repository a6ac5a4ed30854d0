"""SL003: a layer zip over 50 MB cannot be uploaded directly; it must be published through S3."""

from __future__ import annotations

from typing import Iterator

from sam_layers.findings import Finding, Severity
from sam_layers.platforms import MAX_DIRECT_UPLOAD_BYTES
from sam_layers.verify.context import Context

ID = "SL003"
SEVERITY: Severity = "warning"
TITLE = "layer zip over the 50 MB direct upload limit"


def check(ctx: Context) -> Iterator[Finding]:
    for key, built in sorted(ctx.inputs.layers.items()):
        if built.zip_path is None:
            continue
        try:
            size = built.zip_path.stat().st_size
        except OSError:
            continue
        if size > MAX_DIRECT_UPLOAD_BYTES:
            yield Finding(
                ID, SEVERITY, f"{key}:{built.zip_path.name}",
                f"the zip is {size:,} bytes, over the {MAX_DIRECT_UPLOAD_BYTES:,}-byte limit of "
                f"a direct PublishLayerVersion upload: publish it through an S3 bucket "
                f"(sam deploy does; sam-layers publish needs a bucket for it).")
