"""Where a group's requirements come from: requirements files and PEP 735 dependency groups.

Each reader returns the requirement strings in the order written, plus the problems it found;
it never raises for user mistakes, so one run reports every broken group at once.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from sam_layers.errors import Problem

from sam_layers._compat import tomllib


@dataclass
class Collected:
    requirements: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def check_requirement(text: str, where: str, file: Optional[str] = None,
                      line: Optional[int] = None) -> Optional[Problem]:
    """A problem when ``text`` is not a PEP 508 requirement sam-layers can install."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0]
        return Problem(f"invalid requirement {text!r}: {first}", file, line, where)
    if req.url and req.url.startswith("file:"):
        return Problem(f"local requirement {text!r} is not supported; publish it to an index "
                       "or build a wheel", file, line, where)
    return None


def normalize_requirement(text: str) -> str:
    """One spelling per requirement, so cosmetic edits do not change the lock."""
    return str(Requirement(text))


# --- requirements files ---------------------------------------------------------------------

_UNSUPPORTED_OPTIONS = {
    "-c": "constraints files", "--constraint": "constraints files",
    "-e": "editable installs", "--editable": "editable installs",
    "-i": "index options", "--index-url": "index options", "--extra-index-url": "index options",
    "-f": "find-links", "--find-links": "find-links", "--no-index": "index options",
}


def read_requirements_file(path: Path, where: str, display_root: Path,
                           _stack: tuple[Path, ...] = ()) -> Collected:
    """Requirement lines of a pip requirements file, with ``-r`` includes expanded.

    Comments, blank lines, line continuations, environment markers and ``--hash`` options are
    accepted (hashes are dropped: the lock computes its own).
    """
    out = Collected()
    shown = _display(path, display_root)
    resolved = path.resolve()
    if resolved in _stack:
        chain = " -> ".join(_display(p, display_root) for p in (*_stack, resolved))
        out.problems.append(Problem(f"requirements files include each other: {chain}", shown,
                                    where=where))
        return out
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        out.problems.append(Problem("requirements file not found; fix the group's Requirements "
                                    "path (it is relative to the template)", shown, where=where))
        return out
    except (OSError, UnicodeDecodeError) as exc:
        out.problems.append(Problem(f"cannot read requirements file: {exc}", shown, where=where))
        return out
    out.files.append(path)
    for lineno, line in _logical_lines(text):
        if line.startswith("-"):
            try:
                words = shlex.split(line)
            except ValueError:
                words = line.split()
            option = words[0].split("=", 1)[0]
            if option in ("-r", "--requirement"):
                target = words[0].split("=", 1)[1] if "=" in words[0] else (
                    words[1] if len(words) > 1 else "")
                if not target:
                    out.problems.append(Problem(f"{option} needs a file name", shown, lineno,
                                                where))
                    continue
                inner = read_requirements_file(path.parent / target, where, display_root,
                                               (*_stack, resolved))
                out.requirements += inner.requirements
                out.problems += inner.problems
                out.files += inner.files
            elif option in _UNSUPPORTED_OPTIONS:
                out.problems.append(Problem(
                    f"{_UNSUPPORTED_OPTIONS[option]} ({option}) are not supported in a group's "
                    "requirements; list plain requirements", shown, lineno, where))
            else:
                out.problems.append(Problem(f"unknown option {option!r} in a requirements file",
                                            shown, lineno, where))
            continue
        requirement = re.split(r"\s+--hash[=\s]", " " + line)[0].strip()
        problem = check_requirement(requirement, where, shown, lineno)
        if problem:
            out.problems.append(problem)
        else:
            out.requirements.append(requirement)
    return out


def _logical_lines(text: str) -> list[tuple[int, str]]:
    lines: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        raw = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1] + " "
            continue
        full = (pending + raw).strip()
        pending = ""
        if full:
            lines.append((start, full))
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def _display(path: Path, root: Path) -> str:
    """``path`` as the user would write it: relative to the template folder as given."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return str(path)
    return str(root / rel) if str(root) not in ("", ".") else str(rel)


# --- PEP 735 dependency groups -----------------------------------------------------------------


def read_dependency_group(pyproject: Path, group: str, where: str,
                          display_root: Path) -> Collected:
    """Requirements of ``[dependency-groups].<group>``, ``include-group`` entries expanded."""
    out = Collected()
    shown = _display(pyproject, display_root)
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        out.problems.append(Problem(
            "pyproject.toml not found; DependencyGroup reads the pyproject.toml beside the "
            "template (or the group's Project path)", shown, where=where))
        return out
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        out.problems.append(Problem(f"cannot read pyproject.toml: {exc}", shown, where=where))
        return out
    out.files.append(pyproject)
    table = data.get("dependency-groups")
    if not isinstance(table, dict):
        out.problems.append(Problem("no [dependency-groups] table (PEP 735); add one with a "
                                    f"{group!r} list", shown, where=where))
        return out
    by_name: dict[str, str] = {canonicalize_name(str(k)): str(k) for k in table}
    _expand_group(table, by_name, group, (), out, shown, where)
    return out


def _expand_group(table: dict[str, Any], by_name: dict[str, str], group: str,
                  stack: tuple[str, ...], out: Collected, shown: str, where: str) -> None:
    key = by_name.get(canonicalize_name(group))
    if key is None:
        known = ", ".join(sorted(str(k) for k in table)) or "none"
        out.problems.append(Problem(
            f"dependency group {group!r} not found in [dependency-groups] (groups: {known})",
            shown, where=where))
        return
    if canonicalize_name(key) in stack:
        chain = " -> ".join((*stack, canonicalize_name(key)))
        out.problems.append(Problem(f"dependency groups include each other: {chain}", shown,
                                    where=where))
        return
    entries = table[key]
    if not isinstance(entries, list):
        out.problems.append(Problem(f"[dependency-groups].{key} must be a list", shown,
                                    where=where))
        return
    for entry in entries:
        if isinstance(entry, str):
            problem = check_requirement(entry, where, shown)
            if problem:
                out.problems.append(problem)
            else:
                out.requirements.append(entry)
        elif isinstance(entry, dict) and set(entry) == {"include-group"}:
            _expand_group(table, by_name, str(entry["include-group"]),
                          (*stack, canonicalize_name(key)), out, shown, where)
        else:
            out.problems.append(Problem(
                f"[dependency-groups].{key}: entries are requirement strings or "
                f"{{include-group = \"...\"}}, not {entry!r}", shown, where=where))
