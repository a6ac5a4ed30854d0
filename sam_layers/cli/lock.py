from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from sam_layers.cli._app import EXIT_FINDINGS, cli, warn


@cli.command()
@click.option("-t", "--template", type=click.Path(path_type=Path),
              help="SAM template to read (default: template.yaml here).")
@click.option("--check", is_flag=True,
              help="Resolve nothing; exit 1 when sam-layers.lock is stale for the groups.")
@click.option("--verbose", is_flag=True, help="Show the installer's commands.")
def lock(template: Optional[Path], check: bool, verbose: bool) -> None:
    """Resolve every needed layer variant into sam-layers.lock (commit it).

    Each (group, runtime, architecture) is resolved for Lambda, not for this machine: the
    runtime's Python version, its OS's glibc (Amazon Linux 2: 2.26, Amazon Linux 2023: 2.34),
    the function's architecture, binary wheels only, markers evaluated for the target, with
    hashes. Packages the runtime already has (boto3, botocore, s3transfer, jmespath) are left
    out unless a group names them. Fresh entries are kept as they are; only variants whose
    group changed are resolved again.
    """
    from sam_layers.installer import default_installer
    from sam_layers.fsutil import find_template
    from sam_layers.project import ensure_lock, load_project, lock_problems

    path = find_template(template)
    if check:
        project = load_project(path)
        for problem in project.warnings:
            warn(problem)
        problems = lock_problems(project.lock, project.specs, project.lock_path)
        for problem in problems:
            click.echo(f"stale: {problem}", err=True)
        if problems:
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{project.lock_path} is up to date ({_count(len(project.specs))})", err=True)
        return

    def log(line: str) -> None:
        click.echo(f"  $ {line}", err=True)

    installer = default_installer(on_command=log if verbose else None)
    project, relocked = ensure_lock(path, installer=installer)
    for problem in project.warnings:
        warn(problem)
    for key in relocked:
        entry = project.lock.get(key)
        count = len(entry.packages) if entry is not None else 0
        click.echo(f"locked {key}: {count} packages", err=True)
    if not project.specs:
        click.echo("no layer to lock: no function uses a group that sam-layers builds", err=True)
    elif not relocked:
        click.echo(f"{project.lock_path} is up to date ({_count(len(project.specs))})", err=True)
    else:
        click.echo(f"wrote {project.lock_path}", err=True)


def _count(n: int) -> str:
    return f"{n} variant" + ("" if n == 1 else "s")
