"""``sam-layers verify``: check the latest build against what Lambda accepts; exit 1 on errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import click

from sam_layers.cli._app import EXIT_FINDINGS, cli, warn

if TYPE_CHECKING:
    from sam_layers.findings import Finding
    from sam_layers.project import Project


@cli.command()
@click.option("-t", "--template", type=click.Path(path_type=Path),
              help="SAM template to read (default: template.yaml here).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--skip-import", is_flag=True,
              help="Skip the import smoke test (file checks only).")
def verify(template: Optional[Path], as_json: bool, skip_import: bool) -> None:
    """Check the built layers against Lambda's rules, and import-test them.

    Reads the newest build of each layer (.sam-layers/build/<LogicalId> from
    `sam-layers build --no-sam`, or .aws-sam/build/<LogicalId> from sam build) and reports
    every finding at once: more than 5 layers on a function (SL001), code + layers at or over
    262,144,000 bytes unzipped (SL002), a zip over 50 MB (SL003), binaries for the wrong
    architecture (SL004) or a newer glibc than the runtime's OS (SL005), extension modules for
    another CPython (SL006), one package at two versions across a function's layers (SL007),
    and imports that fail with the runtime's own CPython (SL008). Results are cached by layer
    content, so verifying an unchanged build again is quick.

    Exit codes: 0 no errors (warnings and info may be shown), 1 any error, 2 bad input.

    \b
    Examples:
      sam-layers build --no-sam --no-verify && sam-layers verify
      sam-layers verify --json > findings.json
    """
    from sam_layers.fsutil import find_template
    from sam_layers.project import load_project

    project = load_project(find_template(template))
    for problem in project.warnings:
        warn(problem)
    if not verify_project(project, skip_import=skip_import, as_json=as_json):
        sys.exit(EXIT_FINDINGS)


def verify_project(project: Project, *, skip_import: bool = False, as_json: bool = False) -> bool:
    """Verify a project's latest build and print the findings; False when any is an error.

    ``sam-layers build`` calls this after building (unless ``--no-verify``).
    """
    from sam_layers.findings import has_errors
    from sam_layers.verify import find_builds, run_verify

    findings = run_verify(find_builds(project.plan, project.template_dir), skip_import=skip_import)
    print_findings(findings, as_json=as_json)
    return not has_errors(findings)


def print_findings(findings: list[Finding], *, as_json: bool) -> None:
    from sam_layers.report import findings_json, render_findings

    if as_json:
        click.echo(json.dumps(findings_json(findings), indent=2))
    else:
        click.echo(render_findings(findings, width=_width()), nl=False)


def _width() -> int:
    import shutil

    return max(60, min(120, shutil.get_terminal_size((100, 24)).columns))
