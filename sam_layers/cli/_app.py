"""The click group every command module registers itself on, and the exit-code mapping.

This package is the only part of sam-layers that prints or exits. Commands import their
heavy dependencies (boto3, cfn-lint, samtranslator) inside the command body, so
``sam-layers --help`` and the makefile hook start fast.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

import click

from sam_layers import __version__
from sam_layers.errors import BadInput, Problem, ToolError

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="sam-layers")
def cli() -> None:
    """Dependency groups for AWS SAM, turned into Lambda-compatible Python layers.

    Declare groups once in the template's Metadata.SamLayers; sam-layers injects one
    AWS::Serverless::LayerVersion per (group, runtime, architecture), attaches the layers
    to each function, locks and builds Lambda-compatible wheels without Docker, verifies
    the layers before a deploy, and publishes them.

    \b
    Typical use:
      sam-layers plan                  # which function gets which layers
      sam-layers lock                  # write sam-layers.lock beside the template
      sam-layers build                 # transform + lock + build layers + sam build
      sam deploy                       # deploys .aws-sam/build/template.yaml

    Exit codes: 0 success, 1 findings or a failed check, 2 bad input.
    """


def warn(problem: Problem) -> None:
    click.echo(f"warning: {problem}", err=True)


def main(argv: Optional[Sequence[str]] = None) -> None:
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="sam-layers",
                        standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = EXIT_BAD_INPUT if isinstance(exc, click.UsageError) else exc.exit_code
    except BadInput as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        code = EXIT_BAD_INPUT
    except ToolError as exc:
        click.echo(f"error: {exc}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)
