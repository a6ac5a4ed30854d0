"""Publish built layer zips with boto3: idempotently, in several regions, and share them.

One :class:`PublishItem` per built layer variant. For every region (in parallel threads) and
every item, :func:`publish_layers`:

1. compares the zip's CodeSha256 (base64 of its SHA-256, as Lambda reports it) with the newest
   published version of that layer name, and publishes a new version only when they differ;
   zips over Lambda's 50 MB direct-upload limit go through S3 under a key made of the content
   hash, so a rerun uploads nothing twice;
2. grants ``lambda:GetLayerVersion`` to each account, the organization and (only when asked)
   everyone, on the current version, with statement ids derived from the principal and read
   back from the version's policy first, so reruns add nothing twice;
3. writes the version ARN to SSM Parameter Store at ``<prefix>/<layer-name>/<arch>/<runtime>``
   (a String parameter, the way AWS's own Powertools and SDK-for-pandas layers publish theirs);
4. deletes versions older than the newest ``keep`` (never the current one).

A failure is kept with its region and layer and does not stop the other regions or layers;
nothing is printed. Everything a user can get wrong is checked before the first call.
Credentials, region endpoints and ``AWS_ENDPOINT_URL`` come from boto3's usual chain; the
client factory is a parameter so tests point it anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping, Optional, Sequence

from sam_layers.errors import BadInput, Problem
from sam_layers.fsutil import atomic_write
from sam_layers.plan import LayerVariant
from sam_layers.platforms import MAX_DIRECT_UPLOAD_BYTES

# (service, region) -> boto3 client. Called from worker threads, once per service and region.
ClientFactory = Callable[[str, str], Any]
Status = Literal["published", "unchanged", "failed"]

# Lambda's own patterns (botocore's lambda service model: LayerNameOrArn, OrganizationId,
# LayerPermissionAllowedPrincipal) and the S3 / SSM naming rules.
LAYER_NAME_MAX = 140
_LAYER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,%d}$" % LAYER_NAME_MAX)
_REGION = re.compile(r"^(eusc-)?[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SSM_PREFIX = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
_SSM_MAX_LEVELS = 15
DESCRIPTION_MAX = 256
LICENSE_MAX = 512
REGION_PLACEHOLDER = "{region}"
S3_KEY_PREFIX = "sam-layers"
STATEMENT_PREFIX = "sam-layers"
ACTION = "lambda:GetLayerVersion"


@dataclass(frozen=True)
class PublishItem:
    """One built layer variant to publish under ``layer_name``."""

    layer_name: str
    zip_path: Path
    runtimes: tuple[str, ...]
    architectures: tuple[str, ...]
    description: str
    license_info: Optional[str]
    group: str
    runtime: str
    architecture: str


@dataclass(frozen=True)
class PublishOptions:
    regions: tuple[str, ...]
    share_accounts: tuple[str, ...] = ()
    share_org: Optional[str] = None
    public: bool = False
    # May hold "{region}": Lambda reads the zip from a bucket in the layer's own region.
    s3_bucket: Optional[str] = None
    ssm_prefix: Optional[str] = None
    keep: Optional[int] = None
    manifest_path: Optional[Path] = None


@dataclass(frozen=True)
class Grant:
    statement_id: str
    principal: str
    organization_id: Optional[str] = None

    @property
    def label(self) -> str:
        if self.organization_id:
            return f"organization {self.organization_id}"
        return "everyone" if self.principal == "*" else f"account {self.principal}"


@dataclass(frozen=True)
class LayerResult:
    """What happened to one layer in one region. ``status`` is the publish step's outcome;
    ``error`` is set when any step failed (a version may still have been published)."""

    layer_name: str
    region: str
    group: str
    runtime: str
    architecture: str
    status: Status
    code_sha256: str
    version: Optional[int] = None
    version_arn: Optional[str] = None
    s3_uri: Optional[str] = None
    granted: tuple[str, ...] = ()  # statement ids added by this run
    ssm_parameter: Optional[str] = None
    ssm_updated: bool = False
    deleted_versions: tuple[int, ...] = ()
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "layer_name": self.layer_name,
            "region": self.region,
            "group": self.group,
            "runtime": self.runtime,
            "architecture": self.architecture,
            "status": self.status,
            "version": self.version,
            "version_arn": self.version_arn,
            "code_sha256": self.code_sha256,
            "s3_uri": self.s3_uri,
            "granted": list(self.granted),
            "ssm_parameter": self.ssm_parameter,
            "ssm_updated": self.ssm_updated,
            "deleted_versions": list(self.deleted_versions),
            "error": self.error,
        }


@dataclass(frozen=True)
class RegionResult:
    region: str
    layers: tuple[LayerResult, ...] = ()
    error: Optional[str] = None  # the region could not be worked on at all

    @property
    def ok(self) -> bool:
        return self.error is None and all(r.ok for r in self.layers)


@dataclass(frozen=True)
class PublishReport:
    regions: tuple[RegionResult, ...]
    manifest_path: Optional[Path] = None

    @property
    def results(self) -> tuple[LayerResult, ...]:
        return tuple(r for region in self.regions for r in region.layers)

    @property
    def ok(self) -> bool:
        return all(region.ok for region in self.regions)

    @property
    def published(self) -> tuple[LayerResult, ...]:
        return tuple(r for r in self.results if r.status == "published")

    @property
    def unchanged(self) -> tuple[LayerResult, ...]:
        return tuple(r for r in self.results if r.status == "unchanged")

    @property
    def errors(self) -> tuple[str, ...]:
        out = [f"{region.region}: {region.error}" for region in self.regions if region.error]
        out += [r.error for r in self.results if r.error]
        return tuple(out)

    def summary(self) -> str:
        failed = len(self.errors)
        if not self.published and not failed:
            return (f"nothing changed: {len(self.unchanged)} layer version(s) already published, "
                    "no new version")
        text = f"{len(self.published)} new layer version(s), {len(self.unchanged)} unchanged"
        return text + (f", {failed} error(s)" if failed else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "published": len(self.published),
            "unchanged": len(self.unchanged),
            "errors": list(self.errors),
            "manifest": str(self.manifest_path) if self.manifest_path else None,
            "regions": [
                {"region": region.region, "error": region.error,
                 "layers": [r.to_json() for r in region.layers]}
                for region in self.regions
            ],
        }


# ---------------------------------------------------------------------------------------------
# Naming without a stack


def published_layer_name(variant: LayerVariant, prefix: str) -> str:
    """The stable published name of a variant, with no stack involved.

    A group's own LayerName, with ``-<variant suffix>`` when the group has several variants
    (the name the transform gives it too); else ``<prefix>-<group>[-<variant suffix>]`` in
    lower case. Lambda's charset (``[a-zA-Z0-9-_]``) and its 140-character limit are kept.
    """
    suffix = f"-{variant.suffix}" if variant.suffix else ""
    if variant.layer_name:
        name = variant.layer_name + suffix
        if not _LAYER_NAME.match(name):
            raise BadInput(Problem(
                f"LayerName {variant.layer_name!r} cannot be published as {name!r}: use 1-"
                f"{LAYER_NAME_MAX} letters, digits, '-' or '_' in all (no intrinsic functions), "
                "or drop it and use --name-prefix", where=f"group {variant.group}"))
        return name
    raw = "-".join(part for part in (prefix, variant.group, variant.suffix) if part).lower()
    name = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9_-]", "-", raw)).strip("-_")
    if not name:
        raise BadInput(Problem(f"no usable layer name from prefix {prefix!r}; pass --name-prefix",
                               where=f"group {variant.group}"))
    if len(name) > LAYER_NAME_MAX:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name[: LAYER_NAME_MAX - 9].rstrip("-_") + "-" + digest
    return name


def default_name_prefix(template_dir: Path) -> str:
    """The template folder's name: the prefix of published layer names unless one is given."""
    return template_dir.resolve().name


# ---------------------------------------------------------------------------------------------
# Validation: everything before the first call


def validate(items: Sequence[PublishItem], options: PublishOptions) -> None:
    problems: list[Problem] = []
    if not options.regions:
        problems.append(Problem("no region given: pass --region or --regions"))
    for region in options.regions:
        if not _REGION.match(region):
            problems.append(Problem(f"{region!r} is not an AWS region name (like us-east-1)"))
    for account in options.share_accounts:
        if not _ACCOUNT.match(account):
            problems.append(Problem(f"{account!r} is not an AWS account id (12 digits)"))
    if options.share_org is not None and not _ORG.match(options.share_org):
        problems.append(Problem(f"{options.share_org!r} is not an AWS Organizations id "
                                "('o-' and 10-32 lowercase letters or digits)"))
    if options.keep is not None and options.keep < 1:
        problems.append(Problem(f"--keep {options.keep}: keep at least 1 version"))
    if options.ssm_prefix is not None:
        problems += _ssm_prefix_problems(options.ssm_prefix)
    if options.s3_bucket is not None:
        sample = options.s3_bucket.replace(REGION_PLACEHOLDER, "us-east-1")
        if not _BUCKET.match(sample) or ".." in sample:
            problems.append(Problem(f"{options.s3_bucket!r} is not an S3 bucket name "
                                    "(3-63 lowercase letters, digits, '.', '-'; '{region}' allowed)"))
    seen: dict[str, PublishItem] = {}
    for item in items:
        where = f"layer {item.layer_name}"
        if item.layer_name in seen:
            problems.append(Problem(f"two layer variants would publish under the same name "
                                    f"({seen[item.layer_name].zip_path.name}, {item.zip_path.name})",
                                    where=where))
        seen[item.layer_name] = item
        if not _LAYER_NAME.match(item.layer_name):
            problems.append(Problem(f"not a Lambda layer name: use 1-{LAYER_NAME_MAX} letters, "
                                    "digits, '-' or '_'", where=where))
        if len(item.description) > DESCRIPTION_MAX:
            problems.append(Problem(f"description is {len(item.description)} characters; Lambda "
                                    f"takes at most {DESCRIPTION_MAX}", where=where))
        if item.license_info is not None and len(item.license_info) > LICENSE_MAX:
            problems.append(Problem(f"LicenseInfo is longer than {LICENSE_MAX} characters",
                                    where=where))
        if not item.zip_path.is_file():
            problems.append(Problem("no built zip here: run `sam-layers build --no-sam` first",
                                    file=str(item.zip_path), where=where))
            continue
        size = item.zip_path.stat().st_size
        if size > MAX_DIRECT_UPLOAD_BYTES and options.s3_bucket is None:
            problems.append(Problem(
                f"zip is {size:,} bytes, over Lambda's {MAX_DIRECT_UPLOAD_BYTES:,}-byte limit for a "
                "direct upload: pass --s3-bucket BUCKET (in the layer's region; '{region}' in the "
                "name is replaced by each region)", file=str(item.zip_path), where=where))
    if problems:
        raise BadInput(problems)


def _ssm_prefix_problems(prefix: str) -> list[Problem]:
    stripped = prefix.rstrip("/")
    if not _SSM_PREFIX.match(stripped):
        return [Problem(f"SSM prefix {prefix!r} must look like /sam-layers or /team/layers "
                        "(letters, digits, '_', '.', '-' between slashes)")]
    first = stripped.split("/")[1].lower()
    if first.startswith(("aws", "ssm")):
        return [Problem(f"SSM prefix {prefix!r}: names starting with 'aws' or 'ssm' are reserved")]
    levels = stripped.count("/") + 3  # + layer name, architecture, runtime
    if levels > _SSM_MAX_LEVELS:
        return [Problem(f"SSM prefix {prefix!r} is too deep: Parameter Store allows "
                        f"{_SSM_MAX_LEVELS} levels and sam-layers adds 3")]
    return []


def grants(options: PublishOptions) -> tuple[Grant, ...]:
    """The permissions asked for, with statement ids that depend on the principal alone."""
    out = [Grant(f"{STATEMENT_PREFIX}-account-{a}", a) for a in dict.fromkeys(options.share_accounts)]
    if options.share_org:
        out.append(Grant(f"{STATEMENT_PREFIX}-org-{options.share_org}", "*", options.share_org))
    if options.public:
        out.append(Grant(f"{STATEMENT_PREFIX}-public", "*"))
    return tuple(out)


def ssm_parameter_name(prefix: str, item: PublishItem) -> str:
    return f"{prefix.rstrip('/')}/{item.layer_name}/{item.architecture}/{item.runtime}"


def s3_key(item: PublishItem, sha256_hex: str) -> str:
    return f"{S3_KEY_PREFIX}/{item.layer_name}/{sha256_hex}.zip"


# ---------------------------------------------------------------------------------------------
# boto3


def default_client_factory(
    retry_mode: Literal["standard", "adaptive"] = "standard", max_attempts: int = 10
) -> ClientFactory:
    """Clients from boto3's usual chain, throttling retried with botocore's retry modes.

    Each call makes its own ``Session`` (sessions are not thread-safe). When the user sets a
    retry mode or attempt count (``AWS_RETRY_MODE``, ``AWS_MAX_ATTEMPTS``, the profile), theirs wins.
    """
    import boto3
    import botocore.session
    from botocore.config import Config

    def factory(service: str, region: str) -> Any:
        core = botocore.session.Session()
        session = boto3.session.Session(botocore_session=core)
        if _user_sets_retries(core):
            config = Config(user_agent_extra="sam-layers")
        else:
            config = Config(retries={"mode": retry_mode, "total_max_attempts": max_attempts},
                            user_agent_extra="sam-layers")
        make: Any = session.client  # typed per literal service name by boto3-stubs
        return make(service, region_name=region, config=config)

    return factory


def _user_sets_retries(core: Any) -> bool:
    if os.environ.get("AWS_RETRY_MODE") or os.environ.get("AWS_MAX_ATTEMPTS"):
        return True
    try:
        scoped = core.get_scoped_config()
    except Exception:  # a missing profile is reported by the first call, with its region
        return False
    return "retry_mode" in scoped or "max_attempts" in scoped


def _aws_errors() -> tuple[type[BaseException], ...]:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError, Boto3Error)


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def describe_error(exc: BaseException) -> str:
    """``PublishLayerVersion: AccessDeniedException: <message>`` from a botocore error."""
    response = getattr(exc, "response", None)
    operation = getattr(exc, "operation_name", None)
    if isinstance(response, Mapping) and "Error" in response:
        code = str(response["Error"].get("Code", ""))
        message = str(response["Error"].get("Message", ""))
        # Some endpoints answer a JSON protocol with an XML error document.
        xml_code = re.search(r"<Code>([^<]+)</Code>", message)
        xml_message = re.search(r"<Message>([^<]*)</Message>", message)
        if xml_code:
            code = xml_code.group(1)
            message = xml_message.group(1) if xml_message else ""
        return f"{operation or 'call'}: {code}: {message}".rstrip(": ")
    return f"{operation + ': ' if operation else ''}{type(exc).__name__}: {exc}"


# ---------------------------------------------------------------------------------------------
# Publishing


@dataclass(frozen=True)
class _Digest:
    sha256_hex: str
    code_sha256: str  # base64, Lambda's CodeSha256
    size: int


def _digest(path: Path) -> _Digest:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return _Digest(h.hexdigest(), base64.b64encode(h.digest()).decode("ascii"), size)


def publish_layers(
    items: Sequence[PublishItem],
    options: PublishOptions,
    client_factory: Optional[ClientFactory] = None,
) -> PublishReport:
    """Publish every item in every region; see the module docstring. Raises only ``BadInput``."""
    regions = tuple(dict.fromkeys(options.regions))
    validate(items, options)
    factory = client_factory or default_client_factory()
    digests = {item.layer_name: _digest(item.zip_path) for item in items}
    wanted = grants(options)
    with ThreadPoolExecutor(max_workers=max(1, min(len(regions), 8)),
                            thread_name_prefix="sam-layers-publish") as pool:
        futures = [pool.submit(_publish_region, region, items, digests, wanted, options, factory)
                   for region in regions]
        results = tuple(f.result() for f in futures)
    report = PublishReport(results, options.manifest_path)
    if options.manifest_path is not None:
        write_manifest(options.manifest_path, report)
    return report


def _publish_region(region: str, items: Sequence[PublishItem], digests: Mapping[str, _Digest],
                    wanted: tuple[Grant, ...], options: PublishOptions,
                    factory: ClientFactory) -> RegionResult:
    clients = _Clients(factory, region)
    try:
        clients.get("lambda")
    except Exception as exc:  # the factory may fail in any way (profile, region, endpoint)
        return RegionResult(region, error=describe_error(exc))
    layers = tuple(_publish_one(region, item, digests[item.layer_name], wanted, options, clients)
                   for item in items)
    return RegionResult(region, layers)


class _Clients:
    """One region's clients, made on first use (S3 and SSM only when a run needs them)."""

    def __init__(self, factory: ClientFactory, region: str) -> None:
        self._factory = factory
        self._region = region
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._factory(service, self._region)
        return self._clients[service]


@dataclass
class _Progress:
    status: Status = "failed"
    version: Optional[int] = None
    version_arn: Optional[str] = None
    s3_uri: Optional[str] = None
    granted: list[str] = field(default_factory=list)
    ssm_parameter: Optional[str] = None
    ssm_updated: bool = False
    deleted: list[int] = field(default_factory=list)


def _publish_one(region: str, item: PublishItem, digest: _Digest, wanted: tuple[Grant, ...],
                 options: PublishOptions, clients: _Clients) -> LayerResult:
    progress = _Progress()
    error: Optional[str] = None
    try:
        _run_steps(region, item, digest, wanted, options, clients, progress)
    except _aws_errors() as exc:
        error = f"{region}: {item.layer_name}: {describe_error(exc)}"
    except (_Mismatch, OSError) as exc:
        error = f"{region}: {item.layer_name}: {exc}"
    return LayerResult(
        layer_name=item.layer_name, region=region, group=item.group, runtime=item.runtime,
        architecture=item.architecture, status=progress.status, code_sha256=digest.code_sha256,
        version=progress.version, version_arn=progress.version_arn, s3_uri=progress.s3_uri,
        granted=tuple(progress.granted), ssm_parameter=progress.ssm_parameter,
        ssm_updated=progress.ssm_updated, deleted_versions=tuple(progress.deleted), error=error)


class _Mismatch(Exception):
    """Lambda stored something other than the zip we sent."""


def _run_steps(region: str, item: PublishItem, digest: _Digest, wanted: tuple[Grant, ...],
               options: PublishOptions, clients: _Clients, progress: _Progress) -> None:
    """Publish (when changed), share, advertise in SSM, prune: in that order, so a failure
    never advertises or prunes around a version that is not fully set up."""
    lam = clients.get("lambda")
    version, arn = _publish_if_changed(lam, region, item, digest, options, clients, progress)
    if wanted:
        progress.granted += _share(lam, item.layer_name, version, wanted)
    if options.ssm_prefix is not None:
        progress.ssm_parameter = ssm_parameter_name(options.ssm_prefix, item)
        progress.ssm_updated = _put_parameter(clients.get("ssm"), progress.ssm_parameter, arn,
                                              item.layer_name)
    if options.keep is not None:
        progress.deleted += _prune(lam, item.layer_name, options.keep, version)


def _publish_if_changed(lam: Any, region: str, item: PublishItem, digest: _Digest,
                        options: PublishOptions, clients: _Clients,
                        progress: _Progress) -> tuple[int, str]:
    newest = _newest_version(lam, item.layer_name)
    if newest is not None and newest[2] == digest.code_sha256:
        progress.status = "unchanged"
        progress.version, progress.version_arn = newest[0], newest[1]
        return newest[0], newest[1]
    kwargs: dict[str, Any] = {
        "LayerName": item.layer_name,
        "Description": item.description,
        "Content": _content(region, item, digest, options, clients, progress),
        "CompatibleRuntimes": list(item.runtimes),
        "CompatibleArchitectures": list(item.architectures),
    }
    if item.license_info:
        kwargs["LicenseInfo"] = item.license_info
    response = lam.publish_layer_version(**kwargs)
    version, arn = int(response["Version"]), str(response["LayerVersionArn"])
    progress.status, progress.version, progress.version_arn = "published", version, arn
    stored = response.get("Content", {}).get("CodeSha256")
    if stored and stored != digest.code_sha256:
        raise _Mismatch(f"Lambda reports CodeSha256 {stored} for version {version}, "
                        f"expected {digest.code_sha256}")
    return version, arn


def _share(lam: Any, name: str, version: int, wanted: tuple[Grant, ...]) -> list[str]:
    """Add the grants the version's policy lacks; returns the statement ids added."""
    present = _statement_ids(lam, name, version)
    added = []
    for grant in wanted:
        if grant.statement_id in present:
            continue
        kwargs: dict[str, Any] = {"LayerName": name, "VersionNumber": version,
                                  "StatementId": grant.statement_id, "Action": ACTION,
                                  "Principal": grant.principal}
        if grant.organization_id:
            kwargs["OrganizationId"] = grant.organization_id
        try:
            lam.add_layer_version_permission(**kwargs)
        except _aws_errors() as exc:
            if _error_code(exc) != "ResourceConflictException":  # added meanwhile: fine
                raise
        added.append(grant.statement_id)
    return added


def _prune(lam: Any, name: str, keep: int, current: int) -> list[int]:
    """Delete versions beyond the newest ``keep``, never ``current``; returns those deleted."""
    deleted = []
    numbers = sorted((number for number, _arn in _layer_versions(lam, name)), reverse=True)
    for number in numbers[keep:]:
        if number != current:
            lam.delete_layer_version(LayerName=name, VersionNumber=number)
            deleted.append(number)
    return deleted


def _content(region: str, item: PublishItem, digest: _Digest, options: PublishOptions,
             clients: _Clients, progress: _Progress) -> dict[str, Any]:
    if digest.size <= MAX_DIRECT_UPLOAD_BYTES:
        return {"ZipFile": item.zip_path.read_bytes()}
    assert options.s3_bucket is not None  # validate() guarantees it for large zips
    bucket = options.s3_bucket.replace(REGION_PLACEHOLDER, region)
    key = s3_key(item, digest.sha256_hex)
    progress.s3_uri = f"s3://{bucket}/{key}"
    s3 = clients.get("s3")
    if not _s3_object_exists(s3, bucket, key):
        s3.upload_file(str(item.zip_path), bucket, key)
    return {"S3Bucket": bucket, "S3Key": key}


def _s3_object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except _aws_errors() as exc:
        if _error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _layer_versions(lam: Any, name: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    try:
        for page in lam.get_paginator("list_layer_versions").paginate(LayerName=name):
            out += [(int(v["Version"]), str(v["LayerVersionArn"])) for v in page["LayerVersions"]]
    except _aws_errors() as exc:
        if _error_code(exc) == "ResourceNotFoundException":
            return []
        raise
    return out


def _newest_version(lam: Any, name: str) -> Optional[tuple[int, str, str]]:
    """(version, ARN, CodeSha256) of the newest version of ``name``, or None."""
    versions = _layer_versions(lam, name)
    if not versions:
        return None
    number, arn = max(versions)
    detail = lam.get_layer_version(LayerName=name, VersionNumber=number)
    return number, arn, str(detail.get("Content", {}).get("CodeSha256", ""))


def _statement_ids(lam: Any, name: str, version: int) -> set[str]:
    try:
        response = lam.get_layer_version_policy(LayerName=name, VersionNumber=version)
    except _aws_errors() as exc:
        if _error_code(exc) == "ResourceNotFoundException":  # no policy yet
            return set()
        raise
    policy = json.loads(response.get("Policy") or "{}")
    return {str(s.get("Sid")) for s in policy.get("Statement", ()) if s.get("Sid")}


def _put_parameter(ssm: Any, name: str, value: str, layer_name: str) -> bool:
    """Write ``value`` unless it is already there (each put makes a new parameter version)."""
    try:
        current = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    except _aws_errors() as exc:
        if _error_code(exc) != "ParameterNotFound":
            raise
        current = None
    if current == value:
        return False
    ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True,
                      Description=f"sam-layers: version ARN of layer {layer_name}"[:1024])
    return True


# ---------------------------------------------------------------------------------------------
# Manifest


def write_manifest(path: Path, report: PublishReport) -> None:
    """Merge this run's version ARNs into the JSON manifest at ``path`` (atomically).

    Entries are keyed by (layer name, region): a run over some regions keeps the others'.
    """
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            for entry in old.get("layers", ()):
                entries[(str(entry["layer_name"]), str(entry["region"]))] = dict(entry)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadInput(Problem(f"not a sam-layers publish manifest ({exc}); remove it or "
                                   "pick another path", file=str(path))) from exc
    for r in report.results:
        if r.version_arn is None:
            continue
        entries[(r.layer_name, r.region)] = {
            "layer_name": r.layer_name, "region": r.region, "group": r.group,
            "runtime": r.runtime, "architecture": r.architecture, "version": r.version,
            "version_arn": r.version_arn, "code_sha256": r.code_sha256,
            "ssm_parameter": r.ssm_parameter,
        }
    document = {"layers": [entries[k] for k in sorted(entries)]}
    atomic_write(path, json.dumps(document, indent=2, sort_keys=True) + "\n")




def items_for_variants(variants: Iterable[LayerVariant], build_dir: Path, prefix: str,
                       descriptions: Optional[Mapping[str, str]] = None,
                       licenses: Optional[Mapping[str, Optional[str]]] = None) -> list[PublishItem]:
    """Publish items for built variants: ``<build_dir>/<LogicalId>.zip`` each.

    ``descriptions`` (by logical id) should be the transform's ``Description`` so a published
    layer reads like the stack's; ``licenses`` maps group -> LicenseInfo.
    """
    items = []
    for v in variants:
        description = (descriptions or {}).get(v.logical_id) or default_description(v)
        items.append(PublishItem(
            layer_name=published_layer_name(v, prefix),
            zip_path=build_dir / f"{v.logical_id}.zip",
            runtimes=(v.target.runtime,),
            architectures=(v.target.architecture,),
            description=description[:DESCRIPTION_MAX],
            license_info=(licenses or {}).get(v.group),
            group=v.group,
            runtime=v.target.runtime,
            architecture=v.target.architecture,
        ))
    return items


def default_description(variant: LayerVariant) -> str:
    """``sam-layers <Group>: <requirements, shortened> (<hash>)``, within Lambda's 256."""
    tail = f" ({variant.spec.input_hash.split(':')[-1][:12]})"
    head = f"sam-layers {variant.group}: "
    reqs = ", ".join(variant.spec.requirements) or "no packages"
    room = DESCRIPTION_MAX - len(head) - len(tail)
    if len(reqs) > room:
        reqs = reqs[: room - 3].rstrip(", ") + "..."
    return head + reqs + tail
