from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from sam_layers.cli._app import EXIT_FINDINGS, cli, warn
from sam_layers.errors import BadInput, Problem


@cli.command()
@click.option("-t", "--template", "template", type=click.Path(path_type=Path),
              help="SAM template to read (default: template.yaml here).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write the transformed template here (default: stdout). Relative paths "
                   "are rewritten to resolve from its folder.")
@click.option("--check", "check", type=click.Path(path_type=Path), metavar="FILE",
              help="Write nothing; exit 1 when FILE differs from what the transform gives.")
@click.option("--use-container", is_flag=True,
              help="Generate layers for `sam build --use-container` (BuildMethod python3.X).")
def transform(template: Optional[Path], output: Optional[Path], check: Optional[Path],
              use_container: bool) -> None:
    """Inject the dependency groups' layers into a SAM template (the pure transform).

    One AWS::Serverless::LayerVersion per (group, runtime, architecture) some function
    needs, attached to each function's Layers in group order. Comments, key order, quoting
    and short-form tags are kept; transforming the output again changes nothing. The layers'
    build folders are written to .sam-layers/ beside the output, so `sam build -t OUT` works;
    with a sam-layers.lock beside the template they hold its pins (and the layers' Lock hash
    follows them). The transform itself never resolves: run `sam-layers lock` for that.

    \b
    Examples:
      sam-layers transform -t template.yaml -o build/template.yaml
      sam-layers transform --check build/template.yaml    # in CI: is it up to date?
    """
    from sam_layers.fsutil import find_template
    from sam_layers.project import read_project_lock, write_outputs
    from sam_layers.transform import TransformOptions, transform_file

    path = find_template(template)
    lock = read_project_lock(path)
    options = TransformOptions(container=use_container, lock=lock)
    if check is not None and output is not None:
        raise click.UsageError("use either -o or --check")
    target = check or output
    if target is not None and target.resolve() == path.resolve():
        raise BadInput(Problem("the output would overwrite the template itself; sam-layers "
                               "never modifies your template, choose another -o", str(path)))
    result = transform_file(path, target, options)
    for problem in result.warnings:
        warn(problem)
    if check is not None:
        try:
            current = check.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != result.text:
            click.echo(f"{check} is stale: run `sam-layers transform -t {path} -o {check}`",
                       err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{check} is up to date", err=True)
        return
    write_outputs(result, output, lock)
    if output is None:
        click.echo(result.text, nl=False)
    else:
        click.echo(f"wrote {output} ({len(result.plan.variants)} layers, "
                   f"{len(result.plan.functions)} functions)", err=True)
