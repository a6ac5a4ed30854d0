from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import click

from sam_layers.cli._app import EXIT_FINDINGS, cli, warn
from sam_layers.errors import BadInput, Problem

MANIFEST_NAME = "published.json"


@cli.command()
@click.option("-t", "--template", "template", type=click.Path(path_type=Path),
              help="SAM template whose built layers to publish (default: template.yaml here).")
@click.option("--region", "region", metavar="REGION", help="Publish in this region.")
@click.option("--regions", "regions", metavar="R1,R2,...",
              help="Publish in each of these regions, in parallel.")
@click.option("--share-account", "share_accounts", multiple=True, metavar="ACCOUNT_ID",
              help="Grant lambda:GetLayerVersion to this 12-digit account (repeatable).")
@click.option("--share-org", metavar="o-...",
              help="Grant lambda:GetLayerVersion to every account of this AWS Organization.")
@click.option("--public", is_flag=True,
              help="Grant lambda:GetLayerVersion to every AWS account. Only with this flag.")
@click.option("--s3-bucket", metavar="BUCKET",
              help="Upload zips over 50 MB here first (key by content hash). The bucket must be "
                   "in the layer's region; '{region}' in the name is replaced by each region.")
@click.option("--ssm-prefix", metavar="/PREFIX",
              help="Write each version ARN to the String parameter "
                   "PREFIX/<layer-name>/<arch>/<runtime> (e.g. /sam-layers).")
@click.option("--keep", type=int, metavar="N",
              help="Delete versions older than the newest N (never the one just published).")
@click.option("--name-prefix", metavar="PREFIX",
              help="Prefix of published layer names (default: the template folder's name).")
@click.option("--manifest", type=click.Path(path_type=Path), metavar="FILE",
              help=f"JSON manifest of version ARNs (default: .sam-layers/{MANIFEST_NAME} "
                   "beside the template); merged across runs and regions.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def publish(template: Optional[Path], region: Optional[str], regions: Optional[str],
            share_accounts: tuple[str, ...], share_org: Optional[str], public: bool,
            s3_bucket: Optional[str], ssm_prefix: Optional[str], keep: Optional[int],
            name_prefix: Optional[str], manifest: Optional[Path], as_json: bool) -> None:
    """Publish the built layers with boto3, idempotently, and share them.

    Publishes .sam-layers/build/<LogicalId>.zip (from `sam-layers build --no-sam`) of every
    layer the template's groups need. A layer whose zip has the CodeSha256 of its newest
    published version is left alone, so a rerun with nothing changed publishes nothing.

    \b
    Layer names are stable without a stack:
      a group's LayerName (plus -<variant> when the group has several variants), else
      <prefix>-<group>[-<variant>] in lower case, e.g. orders-data-python311-arm64,
      where <prefix> is the template folder's name unless --name-prefix is given.

    Credentials, region and endpoint come from boto3's usual chain (profiles, environment,
    AWS_ENDPOINT_URL); --region or --regions is enough, else the chain's region is used.
    Throttled calls are retried with botocore's standard retry mode (AWS_RETRY_MODE and
    AWS_MAX_ATTEMPTS override it). Exit 1 when any region or layer failed; 2 on bad input
    (account ids, organization ids, region names, a zip over 50 MB without --s3-bucket),
    which is checked before any call is made.

    \b
    Examples:
      sam-layers publish --region eu-west-1
      sam-layers publish --regions us-east-1,eu-west-1 --share-org o-abc123defg \\
          --ssm-prefix /sam-layers --keep 3
    """
    from sam_layers.fsutil import find_template
    from sam_layers.project import load_project
    from sam_layers.transform import TransformOptions, layer_description
    from sam_layers.publish import (
        PublishOptions,
        default_name_prefix,
        items_for_variants,
        publish_layers,
    )

    path = find_template(template)
    project = load_project(path)
    for problem in project.warnings:
        warn(problem)
    variants = project.plan.variants
    if not variants:
        raise BadInput(Problem("no dependency group is attached to any function, so there is "
                               "no layer to publish", file=str(path)))
    described = TransformOptions(lock=project.lock)
    prefix = name_prefix if name_prefix is not None else default_name_prefix(project.template_dir)
    items = items_for_variants(variants, project.build_dir, prefix,
                               descriptions={v.logical_id: layer_description(v, described)
                                             for v in variants},
                               licenses={name: group.license_info
                                         for name, group in project.result.config.groups.items()})
    options = PublishOptions(
        regions=_regions(region, regions),
        share_accounts=tuple(share_accounts),
        share_org=share_org,
        public=public,
        s3_bucket=s3_bucket,
        ssm_prefix=ssm_prefix,
        keep=keep,
        manifest_path=manifest or project.work_dir / MANIFEST_NAME,
    )
    report = publish_layers(items, options)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_table(report)
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
        click.echo(report.summary() + (f"; manifest {report.manifest_path}"
                                       if report.manifest_path else ""))
    if not report.ok:
        sys.exit(EXIT_FINDINGS)


def _regions(region: Optional[str], regions: Optional[str]) -> tuple[str, ...]:
    names = ([region] if region else []) + [r.strip() for r in (regions or "").split(",")
                                            if r.strip()]
    if names:
        return tuple(dict.fromkeys(names))
    import boto3

    try:
        default = boto3.session.Session().region_name
    except Exception:  # a broken profile: the same advice applies
        default = None
    if not default:
        raise BadInput(Problem("no region: pass --region REGION or --regions R1,R2 "
                               "(or set AWS_REGION)"))
    return (default,)


def _print_table(report: Any) -> None:
    rows = [("LAYER", "REGION", "VERSION", "STATUS", "NOTES")]
    for r in report.results:
        notes = []
        if r.granted:
            notes.append("shared: " + ", ".join(g.split("-", 2)[-1] for g in r.granted))
        if r.ssm_parameter and r.ssm_updated:
            notes.append(f"ssm {r.ssm_parameter}")
        if r.deleted_versions:
            notes.append("deleted " + ", ".join(str(v) for v in r.deleted_versions))
        if r.s3_uri:
            notes.append(f"via {r.s3_uri}")
        status = r.status if r.ok else ("failed" if r.status == "failed" else f"{r.status}, failed")
        rows.append((r.layer_name, r.region, str(r.version or "-"), status, "; ".join(notes)))
    for region in report.regions:
        if region.error:
            rows.append(("-", region.region, "-", "failed", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo(("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4]).rstrip())
