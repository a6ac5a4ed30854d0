from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import click

from sam_layers.cli._app import EXIT_FINDINGS, cli, warn
from sam_layers.errors import ToolError

if TYPE_CHECKING:
    from sam_layers.installer import Installer
    from sam_layers.project import Project


@cli.command(context_settings={"ignore_unknown_options": True})
@click.option("-t", "--template", type=click.Path(path_type=Path),
              help="SAM template to read (default: template.yaml here).")
@click.option("--use-container", is_flag=True,
              help="Let SAM build the layers in its Amazon Linux image (BuildMethod python3.X, "
                   "locked requirements.txt). Needs Docker.")
@click.option("--no-sam", is_flag=True,
              help="Build the layer zips alone into .sam-layers/build/ (no sam build).")
@click.option("--frozen", is_flag=True, help="Refuse a stale sam-layers.lock instead of re-locking.")
@click.option("--no-verify", is_flag=True, help="Skip `sam-layers verify` after the build.")
@click.option("--config-file", help="SAM config file (default: samconfig.toml beside the template).")
@click.option("--config-env", help="Environment in the SAM config file (default: default).")
@click.option("-j", "--jobs", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Layers built in parallel with --no-sam.")
@click.option("--verbose", is_flag=True, help="Show the installer's commands.")
@click.argument("sam_args", nargs=-1, type=click.UNPROCESSED)
def build(template: Optional[Path], use_container: bool, no_sam: bool, frozen: bool,
          no_verify: bool, config_file: Optional[str], config_env: Optional[str], jobs: int,
          verbose: bool, sam_args: tuple[str, ...]) -> None:
    """Transform, lock, build the layers and run `sam build` on the result.

    Writes .sam-layers/template.yaml and one build folder per layer beside the template,
    re-locks sam-layers.lock when a group changed (not with --frozen), then runs
    `sam build -t .sam-layers/template.yaml` with your samconfig.toml and any arguments
    after `--`. `sam deploy` then deploys .aws-sam/build/template.yaml as usual.

    \b
    Examples:
      sam-layers build                        # host build, no Docker
      sam-layers build -- --cached --parallel
      sam-layers build --use-container        # SAM builds the layers in its image
      sam-layers build --no-sam               # just the zips: .sam-layers/build/*.zip
    """
    from sam_layers import __version__, uptodate
    from sam_layers.fsutil import find_template

    path = find_template(template)
    stamp_options = {"container": use_container, "verify": not no_verify}
    build_dir = path.parent / ".sam-layers" / "build"
    if no_sam:
        # Nothing changed since the last clean build: say so without parsing anything.
        count = uptodate.is_current(build_dir, stamp_options, __version__)
        if count is not None:
            click.echo(f"up to date: {count} layers in {build_dir} (nothing changed)", err=True)
            return
    uptodate.clear_stamp(build_dir)

    from sam_layers.installer import default_installer
    from sam_layers.project import ensure_lock, write_outputs
    from sam_layers.samcli import build_parameters, find_config, find_sam

    if not no_sam:
        find_sam()  # before any work: a missing SAM CLI is said at once
    config = None if no_sam else find_config(path.parent, config_file)
    params = build_parameters(config, config_env or "default")
    container = use_container or bool(params.get("use_container"))

    def log(line: str) -> None:
        click.echo(f"  $ {line}", err=True)

    installer = default_installer(on_command=log if verbose else None)
    project, relocked = ensure_lock(path, container=container, frozen=frozen,
                                    installer=installer)
    for problem in project.warnings:
        warn(problem)
    for key in relocked:
        click.echo(f"locked {key}", err=True)
    write_outputs(project.result, project.generated_template, project.lock)
    click.echo(f"wrote {project.generated_template} ({len(project.specs)} layers)", err=True)

    if no_sam:
        _build_zips(project, jobs, installer, log if verbose else None)
    else:
        _run_sam(project, config, config_env, use_container, sam_args)
    if not no_verify:
        from sam_layers.cli.verify import verify_project

        if not verify_project(project):
            sys.exit(EXIT_FINDINGS)
    if no_sam:
        inputs = [path, project.lock_path, project.generated_template,
                  *project.result.config.files]
        uptodate.write_stamp(project.build_dir, inputs, stamp_options, __version__,
                             [s.logical_id for s in project.specs])


def _run_sam(project: Project, config: Optional[Path], config_env: Optional[str],
             use_container: bool, sam_args: tuple[str, ...]) -> None:
    from sam_layers.samcli import run_sam_build

    run = run_sam_build(project.generated_template.resolve(), project.template_dir, config=config,
                        config_env=config_env, use_container=use_container, extra=sam_args,
                        echo=click.echo)
    if run.exit_code != 0:
        layer_ids = {s.logical_id for s in project.specs}
        where = (f" while building layer {run.last_resource}"
                 if run.last_resource in layer_ids else "")
        raise ToolError(f"sam build failed (exit {run.exit_code}){where}",
                        exit_code=run.exit_code)


def _build_zips(project: Project, jobs: int, installer: Installer,
                verbose: Optional[Callable[[str], None]]) -> None:
    from sam_layers.build import BuildResult, build_layers
    from sam_layers.spec import LayerSpec

    items = []
    for spec in project.specs:
        entry = project.lock.get(spec.key)
        assert entry is not None  # ensure_lock locked every spec
        items.append((spec, entry))
    total = len(items)
    done = 0

    def progress(spec: LayerSpec, event: str, result: Optional[BuildResult]) -> None:
        nonlocal done
        if event == "start":
            click.echo(f"building {spec.logical_id} ({spec.key}) ...", err=True)
        elif event == "done" and result is not None:
            done += 1
            how = ("up to date" if result.up_to_date else
                   "from cache" if result.cache_hit else "built")
            click.echo(f"[{done}/{total}] {spec.logical_id}: {result.unzipped_bytes / 1e6:.1f} MB "
                       f"unzipped, {result.zipped_bytes / 1e6:.1f} MB zip, {how} "
                       f"in {result.seconds:.2f} s", err=True)
        elif event == "failed":
            click.echo(f"failed: {spec.logical_id} ({spec.key})", err=True)

    build_layers(items, project.build_dir, jobs=jobs, progress=progress,
                 installer=installer, verbose=verbose)
    click.echo(f"layers in {project.build_dir}", err=True)
    sys.stdout.flush()
