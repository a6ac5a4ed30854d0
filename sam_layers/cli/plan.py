"""``sam-layers plan``: which function gets which layers, the count of 5 and the size budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import click

from sam_layers.cli._app import cli, warn


@cli.command()
@click.option("-t", "--template", type=click.Path(path_type=Path),
              help="SAM template to read (default: template.yaml here).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--markdown", is_flag=True, help="Print a Markdown table (for a PR comment).")
def plan(template: Optional[Path], as_json: bool, markdown: bool) -> None:
    """Show each function's runtime, architecture and layers in Lambda's order.

    Lists the layers sam-layers injects and the ones the template already has (Globals
    first), the count against Lambda's 5, and, once the layers are built, the unzipped size
    of code + layers against Lambda's 262,144,000 bytes. Reads only; builds nothing.
    """
    from sam_layers.fsutil import find_template
    from sam_layers.project import load_project
    from sam_layers.report import plan_json, render_plan_markdown, render_plan_table
    from sam_layers.verify import find_builds, measure_sizes

    if as_json and markdown:
        raise click.UsageError("--json and --markdown are alternatives: pass one of them")
    project = load_project(find_template(template))
    for problem in project.warnings:
        warn(problem)
    inputs = find_builds(project.plan, project.template_dir)
    sizes = measure_sizes(inputs) if inputs.layers else None
    if as_json:
        click.echo(json.dumps(plan_json(project.plan, sizes), indent=2))
    elif markdown:
        click.echo(render_plan_markdown(project.plan, sizes), nl=False)
    else:
        click.echo(render_plan_table(project.plan, sizes), nl=False)
