"""``Metadata.SamLayers``: the user's dependency groups, read into frozen dataclasses.

Every mistake becomes a :class:`Problem` naming the template, the line when known, and the
group; :func:`read_config` raises them all together.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sam_layers.document import line_of
from sam_layers.errors import Problem, raise_if
from sam_layers.sources import (
    Collected,
    check_requirement,
    normalize_requirement,
    read_dependency_group,
    read_requirements_file,
)

GROUP_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
BUILD_SOURCES = ("Packages", "DependencyGroup", "Requirements")
# Groups that consume a layer someone else publishes: nothing to build, just attach.
EXTERNAL_SOURCES = ("Arn", "Ssm", "Managed")
SOURCES = (*BUILD_SOURCES, *EXTERNAL_SOURCES)
TOP_KEYS = ("Groups", "Default", "Share", "Outputs")
GROUP_KEYS = (*SOURCES, "Project", "LayerName", "LicenseInfo")
SHARE_KEYS = ("Accounts", "OrganizationId")
LAYER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,140}$")
LAYER_VERSION_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:layer:[A-Za-z0-9_-]+:\d+$")
SSM_NAME = re.compile(r"^/[A-Za-z0-9_.\-/]+$")
MANAGED = ("powertools", "aws-sdk-pandas")
ACCOUNT_ID = re.compile(r"^\d{12}$")
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")


@dataclass(frozen=True)
class GroupConfig:
    name: str
    source: str  # one of SOURCES
    requirements: tuple[str, ...]  # normalized PEP 508 strings, includes expanded
    explicit: frozenset[str] = field(default_factory=frozenset)  # canonical names it lists
    layer_name: Optional[str] = None
    license_info: Optional[str] = None
    # Paths as written in the template, relative to it (rewritten when output moves).
    paths: Mapping[str, str] = field(default_factory=dict)
    external: Optional[str] = None  # the Arn, Ssm parameter name or Managed layer name
    files: tuple[Path, ...] = ()  # every file its requirements were read from

    @property
    def is_external(self) -> bool:
        return self.source in EXTERNAL_SOURCES


@dataclass(frozen=True)
class Share:
    accounts: tuple[str, ...] = ()
    organization_id: Optional[str] = None


@dataclass(frozen=True)
class Config:
    groups: Mapping[str, GroupConfig]
    default: tuple[str, ...] = ()
    share: Share = Share()
    outputs: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.groups)

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the groups were read from (pyproject.toml, requirements files)."""
        return tuple(dict.fromkeys(f for g in self.groups.values() for f in g.files))


EMPTY = Config(groups={})


def suggest(name: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_config(template: Mapping[str, Any], template_path: Path) -> Config:
    """Parse ``Metadata.SamLayers``; a template without it has no groups."""
    display = str(template_path)
    metadata = template.get("Metadata")
    if not isinstance(metadata, dict) or "SamLayers" not in metadata:
        return EMPTY
    raw = metadata["SamLayers"]
    problems: list[Problem] = []
    where = "Metadata.SamLayers"
    if not isinstance(raw, dict):
        raise_if([Problem("must be a mapping with Groups", display, line_of(metadata, "SamLayers"),
                          where)])
    for key in raw:
        if key not in TOP_KEYS:
            problems.append(Problem(f"unknown key {key!r}{suggest(key, TOP_KEYS)}", display,
                                    line_of(raw, key), where))
    groups_raw = raw.get("Groups")
    groups: dict[str, GroupConfig] = {}
    if not isinstance(groups_raw, dict) or not groups_raw:
        problems.append(Problem("Groups is required: a mapping of group name to its packages",
                                display, line_of(raw), where))
        groups_raw = {}
    for name, body in groups_raw.items():
        group = _read_group(str(name), body, groups_raw, template_path, problems)
        if group is not None:
            groups[group.name] = group
    default: tuple[str, ...] = ()
    if "Default" in raw:
        default = read_group_list(raw["Default"], groups_raw, display, line_of(raw, "Default"),
                                  f"{where}.Default", problems)
    share = _read_share(raw.get("Share"), display, line_of(raw, "Share"), problems)
    outputs = raw.get("Outputs", False)
    if not isinstance(outputs, bool):
        problems.append(Problem("Outputs must be true or false", display,
                                line_of(raw, "Outputs"), f"{where}.Outputs"))
    raise_if(problems)
    return Config(groups=groups, default=default, share=share, outputs=outputs is True)


def _read_share(value: Any, display: str, line: Optional[int],
                problems: list[Problem]) -> Share:
    where = "Metadata.SamLayers.Share"
    if value is None:
        return Share()
    if not isinstance(value, dict):
        problems.append(Problem("must be a mapping with Accounts and/or OrganizationId", display,
                                line, where))
        return Share()
    for key in value:
        if key not in SHARE_KEYS:
            problems.append(Problem(f"unknown key {key!r}{suggest(key, SHARE_KEYS)}", display,
                                    line_of(value, key), where))
    accounts_raw = value.get("Accounts", [])
    if not isinstance(accounts_raw, list):
        accounts_raw = [accounts_raw]
    accounts: list[str] = []
    for item in accounts_raw:
        text = str(item)
        if not ACCOUNT_ID.match(text):
            hint = " (quote account ids: YAML drops the leading zeros of a number)" if isinstance(
                item, int) else ""
            problems.append(Problem(f"{text!r} is not a 12-digit AWS account id{hint}", display,
                                    line_of(value, "Accounts"), where))
        elif text not in accounts:
            accounts.append(text)
    org = value.get("OrganizationId")
    if org is not None and (not isinstance(org, str) or not ORGANIZATION_ID.match(org)):
        problems.append(Problem(f"{org!r} is not an organization id (o- and 10-32 lowercase "
                                "letters or digits)", display, line_of(value, "OrganizationId"),
                                where))
        org = None
    return Share(tuple(accounts), org)


def read_group_list(value: Any, known: Any, display: str, line: Optional[int], where: str,
                    problems: list[Problem]) -> tuple[str, ...]:
    """A list of group names (``Default`` or a function's ``Metadata.SamLayers``)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(Problem("must be a list of group names", display, line, where))
        return ()
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in known:
            problems.append(Problem(f"unknown group {item!r}{suggest(item, known)}; groups are "
                                    f"{', '.join(map(str, known)) or 'none'}", display, line,
                                    where))
        elif item in names:
            problems.append(Problem(f"group {item!r} is listed twice", display, line, where))
        else:
            names.append(item)
    return tuple(names)


def _read_group(name: str, body: Any, parent: Any, template_path: Path,
                problems: list[Problem]) -> Optional[GroupConfig]:
    display = str(template_path)
    where = f"group {name}"
    line = line_of(parent, name)
    if not GROUP_NAME.match(name):
        problems.append(Problem("group names start with a letter and hold only letters and "
                                "digits (they become logical ids)", display, line, where))
        return None
    if not isinstance(body, dict):
        problems.append(Problem(f"must be a mapping with one of {', '.join(SOURCES)}",
                                display, line, where))
        return None
    before = len(problems)
    for key in body:
        if key not in GROUP_KEYS:
            problems.append(Problem(f"unknown key {key!r}{suggest(key, GROUP_KEYS)}", display,
                                    line_of(body, key), where))
    sources = [k for k in SOURCES if k in body]
    if len(sources) != 1:
        what = "none" if not sources else " and ".join(sources)
        problems.append(Problem(f"needs exactly one of {', '.join(SOURCES)} (found {what})",
                                display, line, where))
        return None
    source = sources[0]
    if source in EXTERNAL_SOURCES:
        return _read_external(name, source, body, display, where, problems)
    if "Project" in body and source != "DependencyGroup":
        problems.append(Problem("Project is only used with DependencyGroup", display,
                                line_of(body, "Project"), where))
    base = template_path.parent
    collected = Collected()
    paths: dict[str, str] = {}
    if source == "Packages":
        packages = body["Packages"]
        if isinstance(packages, str):
            packages = [packages]
        if not isinstance(packages, list) or not packages:
            problems.append(Problem("Packages must be a non-empty list of requirement strings "
                                    "(PEP 508), e.g. [\"requests>=2.32\"]", display,
                                    line_of(body, "Packages"), where))
        else:
            for item in packages:
                problem = check_requirement(str(item), where, display, line_of(body, "Packages"))
                if problem or not isinstance(item, str):
                    problems.append(problem or Problem(f"{item!r} is not a string", display,
                                                       line_of(body, "Packages"), where))
                else:
                    collected.requirements.append(item)
    elif source == "Requirements":
        rel = body["Requirements"]
        if not isinstance(rel, str) or not rel:
            problems.append(Problem("Requirements must be a path to a requirements file",
                                    display, line_of(body, "Requirements"), where))
        else:
            paths["Requirements"] = rel
            collected = read_requirements_file(base / rel, where, base)
    else:
        dep_group = body["DependencyGroup"]
        project = body.get("Project", "pyproject.toml")
        if not isinstance(dep_group, str) or not dep_group:
            problems.append(Problem("DependencyGroup must name a [dependency-groups] entry of "
                                    "pyproject.toml", display, line_of(body, "DependencyGroup"),
                                    where))
        elif not isinstance(project, str) or not project:
            problems.append(Problem("Project must be a path to a pyproject.toml", display,
                                    line_of(body, "Project"), where))
        else:
            if "Project" in body:
                paths["Project"] = project
            pyproject = base / project
            if pyproject.is_dir():
                pyproject = pyproject / "pyproject.toml"
            collected = read_dependency_group(pyproject, dep_group, where, base)
    problems += collected.problems
    if not collected.problems and not collected.requirements and source != "Packages":
        problems.append(Problem(f"{source} lists no packages", display, line, where))
    layer_name = body.get("LayerName")
    if layer_name is not None and (not isinstance(layer_name, str)
                                   or not LAYER_NAME.match(layer_name)):
        problems.append(Problem("LayerName must be 1-140 letters, digits, '-' or '_'", display,
                                line_of(body, "LayerName"), where))
    license_info = body.get("LicenseInfo")
    if license_info is not None and not isinstance(license_info, str):
        problems.append(Problem("LicenseInfo must be a string", display,
                                line_of(body, "LicenseInfo"), where))
    if len(problems) > before:
        return None
    requirements = tuple(normalize_requirement(r) for r in collected.requirements)
    explicit = frozenset(canonicalize_name(Requirement(r).name) for r in requirements)
    return GroupConfig(name=name, source=source, requirements=requirements, explicit=explicit,
                       layer_name=layer_name, license_info=license_info, paths=paths,
                       files=tuple(collected.files))


def _read_external(name: str, source: str, body: Mapping[str, Any], display: str, where: str,
                   problems: list[Problem]) -> Optional[GroupConfig]:
    value = body[source]
    line = line_of(body, source)
    extra = [k for k in body if k != source and k in GROUP_KEYS]
    if extra:
        problems.append(Problem(f"{', '.join(extra)} cannot be used with {source} (the layer is "
                                "published elsewhere)", display, line, where))
        return None
    checks = {
        "Arn": (LAYER_VERSION_ARN, "a layer version ARN, arn:aws:lambda:REGION:ACCOUNT:layer:NAME:"
                                   "VERSION"),
        "Ssm": (SSM_NAME, "an SSM parameter name starting with / that holds a layer version ARN"),
    }
    if source in checks:
        pattern, what = checks[source]
        if not isinstance(value, str) or not pattern.match(value):
            problems.append(Problem(f"{source} must be {what}, not {value!r}", display, line,
                                    where))
            return None
    elif value not in MANAGED:
        problems.append(Problem(f"Managed must be one of {', '.join(MANAGED)}, not {value!r}"
                                f"{suggest(value, MANAGED)}", display, line, where))
        return None
    return GroupConfig(name=name, source=source, requirements=(), external=str(value))
