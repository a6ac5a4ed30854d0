"""Checks a SAM template the way AWS would, without AWS: translate, lint, ``sam validate --lint``.

Offline recipe (aws-sam-translator's Python API, no network, no credentials):

* The region comes from a ``boto3.Session(region_name=REGION)``: creating a session makes no call,
  and handing it to ``Translator`` fixes ``AWS::Region``/``AWS::Partition`` (and the partition of
  every generated ARN) whatever the environment says.
* Managed policy names (``Policies: [AmazonS3ReadOnlyAccess]``) resolve from the map bundled with
  samtranslator; ``managed_policy_map={}`` and no ``get_managed_policy_map`` means IAM is never asked
  (an unknown name passes through as it is, as the translator does anyway).
* ``AWS::Serverless::Application`` with an ``ApplicationId`` makes the translator ask the Serverless
  Application Repository for a template URL; an offline SAR client answers with a placeholder URL.
* Local ``CodeUri``/``ContentUri``/``DefinitionUri``/``Location`` paths are replaced by S3
  placeholders first (:func:`package_like`), as ``sam package`` would upload and rewrite them: the
  translator rejects local paths.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union

if TYPE_CHECKING:
    from packaging.version import Version

REGION = "us-east-1"
PLACEHOLDER_BUCKET = "sam-layers-package"

# Properties that `sam package` uploads and rewrites, per SAM resource type (and in Globals).
_S3_URI_PROPERTIES: Dict[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
    "AWS::Serverless::GraphQLApi": ("SchemaUri",),
}
_GLOBALS_SECTIONS = {
    "Function": "AWS::Serverless::Function",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
    "StateMachine": "AWS::Serverless::StateMachine",
    "LayerVersion": "AWS::Serverless::LayerVersion",
}


class TranslationFailed(AssertionError):
    """aws-sam-translator rejected the template; ``messages`` are its own words, one per cause."""

    def __init__(self, messages: List[str]) -> None:
        self.messages = messages
        super().__init__("aws-sam-translator failed:\n" + "\n".join("  " + m for m in messages))


def load_sam(path: Union[str, Path]) -> Dict[str, Any]:
    """A template as samtranslator reads it: YAML (short-form tags become ``{"Fn::X": ...}``) or JSON."""
    return load_sam_text(Path(path).read_text(encoding="utf-8"), name=str(path))


def load_sam_text(text: str, *, name: str = "template") -> Dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

    data = yaml_parse(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name}: not a template (top level is {type(data).__name__})")
    return data


def _is_local_path(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith(("s3://", "https://", "http://"))


def _placeholder_key(value: str, base_dir: Path) -> str:
    # The key depends on where the path points, not on how it is spelt: a template written to
    # another folder with its relative paths rewritten gets the same placeholders.
    target = posixpath.normpath((Path(os.path.abspath(base_dir)) / value).as_posix())
    return hashlib.sha256(target.encode("utf-8")).hexdigest()[:16] + "/" + posixpath.basename(target)


def _s3_uri(value: str, base_dir: Path) -> str:
    return f"s3://{PLACEHOLDER_BUCKET}/{_placeholder_key(value, base_dir)}"


def _replace_local(props: Dict[str, Any], names: tuple[str, ...], base_dir: Path) -> None:
    for name in names:
        if _is_local_path(props.get(name)):
            props[name] = _s3_uri(props[name], base_dir)


def package_like(template: Dict[str, Any], *, base_dir: Path = Path(".")) -> Dict[str, Any]:
    """A copy of ``template`` with local artifact paths replaced by S3 placeholders, as ``sam package``.

    Strings that are already ``s3://`` or ``http(s)://`` URIs, S3 location dicts and intrinsics are
    kept. A zip function with neither ``CodeUri`` nor ``InlineCode`` (own or Globals) gets the
    template folder, as ``sam package`` uploads it. ``Location`` of a local nested application
    becomes an S3 HTTPS URL.
    """
    out = copy.deepcopy(template)
    globals_ = out.get("Globals")
    global_function: Dict[str, Any] = {}
    if isinstance(globals_, dict):
        for section, section_type in _GLOBALS_SECTIONS.items():
            section_props = globals_.get(section)
            if isinstance(section_props, dict) and section_type in _S3_URI_PROPERTIES:
                _replace_local(section_props, _S3_URI_PROPERTIES[section_type], base_dir)
        if isinstance(globals_.get("Function"), dict):
            global_function = globals_["Function"]
    resources = out.get("Resources")
    if not isinstance(resources, dict):
        return out
    for resource in resources.values():
        if not isinstance(resource, dict):
            continue  # Fn::ForEach::... entries are lists
        rtype = resource.get("Type")
        props = resource.get("Properties")
        if not isinstance(props, dict) or not isinstance(rtype, str):
            continue
        if rtype in _S3_URI_PROPERTIES:
            _replace_local(props, _S3_URI_PROPERTIES[rtype], base_dir)
        if rtype == "AWS::Serverless::Function":
            package_type = props.get("PackageType", global_function.get("PackageType", "Zip"))
            has_code = any(k in d for d in (props, global_function) for k in ("CodeUri", "InlineCode"))
            if package_type == "Zip" and not has_code:
                props["CodeUri"] = _s3_uri(".", base_dir)
        if rtype == "AWS::Serverless::GraphQLApi":
            for section in ("Functions", "Resolvers"):
                entries = props.get(section)
                if isinstance(entries, dict):
                    for entry in entries.values():
                        if isinstance(entry, dict):
                            _replace_local(entry, ("CodeUri",), base_dir)
        if rtype == "AWS::Serverless::Application" and _is_local_path(props.get("Location")):
            key = _placeholder_key(props["Location"], base_dir)
            props["Location"] = f"https://{PLACEHOLDER_BUCKET}.s3.amazonaws.com/{key}"
    return out


class _OfflineSar:
    """Answers the two Serverless Application Repository calls the translator makes."""

    def create_cloud_formation_template(self, ApplicationId: str, SemanticVersion: str) -> Dict[str, str]:  # noqa: N803
        return {
            "ApplicationId": ApplicationId,
            "SemanticVersion": SemanticVersion,
            "Status": "ACTIVE",
            "TemplateId": "offline",
            "TemplateUrl": f"https://{PLACEHOLDER_BUCKET}.s3.amazonaws.com/sar/{SemanticVersion}/template.yaml",
        }

    def get_application(self, ApplicationId: str, SemanticVersion: str) -> Dict[str, str]:  # noqa: N803
        return {"ApplicationId": ApplicationId, "Version": SemanticVersion}


_SESSIONS: Dict[str, Any] = {}


def _reuse_policy_templates_plugin() -> None:
    """Build samtranslator's policy-templates plugin once, not once per translation.

    ``Translator.translate`` makes a new one every time, and each re-validates the bundled
    policy_templates.json against its JSON schema: ~33 of a translation's ~45 ms. The plugin keeps
    no state between templates (policy templates are deep-copied when used), so sharing one
    instance changes nothing but the time.
    """
    from samtranslator.translator import translator as module  # type: ignore[import-untyped]

    make = module.make_policy_template_for_function_plugin
    if not isinstance(make, functools._lru_cache_wrapper):
        module.make_policy_template_for_function_plugin = functools.lru_cache(maxsize=1)(make)


def _session(region: str) -> Any:
    if region not in _SESSIONS:
        import boto3

        _SESSIONS[region] = boto3.session.Session(region_name=region)
    return _SESSIONS[region]


def translate(
    template: Dict[str, Any],
    *,
    base_dir: Path,
    parameter_values: Optional[Dict[str, Any]] = None,
    region: str = REGION,
) -> Dict[str, Any]:
    """The CloudFormation template aws-sam-translator makes of ``template`` (not modified), offline.

    Local paths are resolved against ``base_dir`` (the template's folder) and replaced by S3
    placeholders first. Raises :class:`TranslationFailed` with the translator's messages.
    """
    from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException  # type: ignore[import-untyped]
    from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin  # type: ignore[import-untyped]
    from samtranslator.sdk.parameter import SamParameterValues  # type: ignore[import-untyped]
    from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

    _reuse_policy_templates_plugin()
    packaged = package_like(template, base_dir=base_dir)
    session = _session(region)
    parameters = SamParameterValues(dict(parameter_values or {}))
    parameters.add_default_parameter_values(packaged)
    parameters.add_pseudo_parameter_values(session)
    sar = ServerlessAppPlugin(sar_client=_OfflineSar(), parameters=parameters.parameter_values)
    translator = Translator(
        managed_policy_map={}, sam_parser=Parser(), plugins=[sar], boto_session=session
    )
    try:
        result: Dict[str, Any] = translator.translate(
            packaged, parameter_values=dict(parameter_values or {})
        )
    except InvalidDocumentException as exc:
        raise TranslationFailed([str(c.message) for c in exc.causes]) from exc
    except ExceptionWithMessage as exc:
        raise TranslationFailed([str(exc.message)]) from exc
    finally:
        translator.metrics.publish()  # to nowhere; unpublished metrics log a warning on exit
    # The translator returns its own dict subclasses in places; plain JSON data compares simply.
    plain: Dict[str, Any] = json.loads(json.dumps(result, default=str))
    return plain


# SAM names some generated resources <stem><10 hex digits of a hash>: of the function's properties
# (Versions), of the API definition - or of the clock, with AlwaysDeploy - (Deployments).
_HASHED_ID = re.compile(r"^(?P<stem>[A-Za-z0-9]+?)(?P<hash>[0-9a-f]{10})$")
_DEPLOYMENT_DESCRIPTION = re.compile(r"^RestApi deployment id: [0-9a-f]{40}$")
TIME_HASHED = ("AWS::ApiGateway::Deployment",)


def canonical(translated: Dict[str, Any], *, unhash: Iterable[str] = TIME_HASHED) -> str:
    """Translated CloudFormation as sorted JSON, the hash dropped from resources of the ``unhash`` types.

    Dropped from their logical ids wherever those are named, and from a Deployment's description.
    The default, Deployments only, makes two translations of one template compare equal (an
    ``AlwaysDeploy`` API hashes the time).
    """
    types = frozenset(unhash)
    doc = json.loads(json.dumps(translated))
    renames: Dict[str, str] = {}
    for logical_id, resource in doc.get("Resources", {}).items():
        if isinstance(resource, dict) and isinstance(resource.get("Type"), str) and resource["Type"] in types:
            match = _HASHED_ID.match(logical_id)
            if match:
                renames[logical_id] = match["stem"]
            props = resource.get("Properties", {})
            if isinstance(props.get("Description"), str) and _DEPLOYMENT_DESCRIPTION.match(props["Description"]):
                props["Description"] = "RestApi deployment id: <hash>"
    text = json.dumps(doc, sort_keys=True, indent=1)
    for old, new in renames.items():
        text = re.sub(r"\b" + re.escape(old) + r"\b", new, text)
    return text


def translator_version() -> "Version":
    from importlib.metadata import version

    from packaging.version import Version

    return Version(version("aws-sam-translator"))


def lint(template: Union[str, Path, Dict[str, Any]], *, region: str = REGION) -> List[str]:
    """cfn-lint's error-level findings (``E…`` rules) as ``"RuleId path message"`` strings.

    ``template`` is a path, template text (YAML or JSON), or an already translated dict. A SAM
    template is translated by cfn-lint itself (with its own S3 placeholders) before its rules run,
    so both raw SAM and translated CloudFormation can be given. cfn-lint sets ``AWS_DEFAULT_REGION``
    while it translates (restored here), and importing it relaxes samtranslator's check that a
    resource's ``Condition`` is a string, for the whole process.
    """
    from cfnlint.api import ManualArgs, lint as cfn_lint  # type: ignore[import-untyped]

    if isinstance(template, Path):
        text = template.read_text(encoding="utf-8")
    elif isinstance(template, dict):
        text = json.dumps(template)
    else:
        text = template
    saved = os.environ.get("AWS_DEFAULT_REGION")
    try:
        matches = cfn_lint(text, config=ManualArgs(regions=[region]))
    finally:  # cfn-lint sets it for samtranslator and leaves it set
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved
    found: List[str] = []
    for match in matches:
        rule_id = str(match.rule.id)
        if not rule_id.startswith("E"):
            continue
        path = getattr(match, "path", None)
        where = "/".join(str(p) for p in path) if path else f"line {match.linenumber}"
        found.append(f"{rule_id} {where} {match.message}")
    return found


def sam_executable() -> Path:
    """The ``sam`` installed with the test extra, next to the running interpreter."""
    return Path(sys.executable).parent / "sam"


def sam_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["SAM_CLI_TELEMETRY"] = "0"
    return env


def sam_validate_lint(path: Union[str, Path], *, timeout: float = 180) -> "subprocess.CompletedProcess[str]":
    """``sam validate --lint -t PATH --region us-east-1``: offline (cfn-lint inside SAM), no credentials."""
    return subprocess.run(
        [str(sam_executable()), "validate", "--lint", "-t", str(path), "--region", REGION],
        capture_output=True,
        text=True,
        env=sam_env(),
        timeout=timeout,
        check=False,
    )
