"""``sam-layers verify``: check built layers against what Lambda accepts, before a deploy.

:func:`run_verify` runs every rule and returns all findings at once, sorted; rules are the
modules of :mod:`sam_layers.verify.rules`, one per finding id, listed in :data:`RULES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Optional, Protocol

from sam_layers.findings import Finding, Severity, sort_findings
from sam_layers.verify.cache import ResultCache, default_cache_dir
from sam_layers.verify.context import Context, Host, make_context
from sam_layers.verify.model import BuiltLayer, VerifyInput, find_builds
from sam_layers.verify.pythons import PythonLookup, find_python
from sam_layers.verify.rules import (
    duplicate_distributions,
    elf_machine,
    extension_abi,
    glibc_version,
    import_test,
    layer_count,
    not_built,
    shadowed_versions,
    unzipped_size,
    zip_size,
)

if TYPE_CHECKING:
    from sam_layers.report import Sizes


class Rule(Protocol):
    """A rule module: ``ID`` (``SL0xx``), default ``SEVERITY``, ``TITLE`` and ``check``."""

    ID: str
    SEVERITY: Severity
    TITLE: str

    def check(self, ctx: Context) -> Iterable[Finding]: ...


RULES: tuple[Rule, ...] = (
    layer_count,  # SL001
    unzipped_size,  # SL002
    zip_size,  # SL003
    elf_machine,  # SL004
    glibc_version,  # SL005
    extension_abi,  # SL006
    shadowed_versions,  # SL007
    import_test,  # SL008
    duplicate_distributions,  # SL009
    not_built,  # SL010
)

__all__ = [
    "RULES", "BuiltLayer", "Context", "Host", "PythonLookup", "Rule", "VerifyInput",
    "default_cache_dir", "find_builds", "find_python", "make_context", "measure_sizes",
    "run_verify",
]


def run_verify(inputs: VerifyInput, *, skip_import: bool = False,
               cache_dir: Optional[Path] = None, use_cache: bool = True,
               find_python: Callable[[str], PythonLookup] = find_python,
               host: Optional[Host] = None) -> list[Finding]:
    """Every finding of every rule, errors first.

    ``cache_dir`` defaults to the user's sam-layers cache; scans and import results are cached
    there by layer content, so verifying an unchanged build again runs no interpreter.
    """
    cache = ResultCache((cache_dir or default_cache_dir()) if use_cache else None)
    ctx = make_context(inputs, cache, skip_import=skip_import, find_python=find_python,
                       host=host)
    return run_rules(ctx)


def run_rules(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for rule in RULES:
        findings.extend(rule.check(ctx))
    return sort_findings(findings)


def measure_sizes(inputs: VerifyInput, *, cache_dir: Optional[Path] = None,
                  use_cache: bool = True) -> "Sizes":
    """Unzipped sizes of every built layer and function code, for ``sam-layers plan``."""
    from sam_layers.report import Sizes

    cache = ResultCache((cache_dir or default_cache_dir()) if use_cache else None)
    ctx = make_context(inputs, cache, skip_import=True)
    return Sizes({key: scan.unzipped_bytes for key, scan in ctx.scans.items()},
                 dict(ctx.code_sizes))
