"""``sam-layers build-layer``: the builder the generated Makefile runs inside ``sam build``.

Hidden from ``--help``: users never call it. SAM runs ``make build-<LogicalId>`` in a temp copy
of the layer's build folder with ``ARTIFACTS_DIR`` set; the Makefile calls
``<python> -m sam_layers build-layer --spec-dir . --artifacts-dir "$(ARTIFACTS_DIR)"``.
"""

from __future__ import annotations

from pathlib import Path

import click

from sam_layers.cli._app import cli


@cli.command("build-layer", hidden=True)
@click.option("--spec-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder holding layer.json (the layer's build folder).")
@click.option("--artifacts-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Where SAM wants the layer: python/ is created inside it.")
@click.option("--verbose", is_flag=True, help="Show the installer's commands.")
def build_layer_command(spec_dir: Path, artifacts_dir: Path, verbose: bool) -> None:
    """Build one layer variant from its build folder into ARTIFACTS_DIR/python."""
    from sam_layers.build import build_layer
    from sam_layers.cache import LayerCache
    from sam_layers.installer import default_installer
    from sam_layers.specdir import read_spec_dir

    def log(line: str) -> None:
        click.echo(f"  $ {line}" if not line.startswith(" ") else line, err=True)

    spec, locked = read_spec_dir(spec_dir)
    installer = default_installer(on_command=log if verbose else None)
    resolved_now = locked is None
    if locked is None:
        locked = installer.resolve(spec)
    result = build_layer(spec, locked, artifacts_dir.resolve(), cache=LayerCache(),
                         installer=installer, verbose=log if verbose else None, stamp=False)
    name = spec.logical_id or spec.key
    origin = "cache hit" if result.cache_hit else "built"
    note = ", resolved without a lock" if resolved_now else ""
    click.echo(f"sam-layers: {name} ({spec.key}): {len(locked.packages)} packages, "
               f"{result.unzipped_bytes / 1e6:.1f} MB unzipped, {origin}{note}, "
               f"{result.seconds:.2f} s", err=True)
