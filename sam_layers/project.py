"""A project: one template, its config, plan and the files around it (lock, work folder).

This is where the pure steps meet the file system: read the template, plan, transform, and
write the generated template and layer build folders (atomically; the user's files are never
written).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from sam_layers.buildfolder import write_build_folder
from sam_layers.installer import Installer
from sam_layers.lockfile import LockFile, read_lock, stale_keys, write_lock
from sam_layers.errors import BadInput, Problem
from sam_layers.fsutil import atomic_write
from sam_layers.plan import Plan
from sam_layers.spec import LayerSpec
from sam_layers.transform import TransformOptions, TransformResult, transform_file

LOCK_NAME = "sam-layers.lock"


@dataclass(frozen=True)
class Project:
    template_path: Path
    result: TransformResult
    lock: LockFile = field(default_factory=LockFile)

    @property
    def template_dir(self) -> Path:
        """The template's folder as the user named it (relative when they typed it so)."""
        return self.template_path.parent

    @property
    def plan(self) -> Plan:
        return self.result.plan

    @property
    def specs(self) -> tuple[LayerSpec, ...]:
        return tuple(v.spec for v in self.plan.variants)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.result.warnings

    @property
    def lock_path(self) -> Path:
        return self.template_dir / LOCK_NAME

    @property
    def work_dir(self) -> Path:
        """``.sam-layers/`` beside the template: generated template and layer build folders."""
        return self.template_dir / ".sam-layers"

    @property
    def build_dir(self) -> Path:
        """Built layers with ``--no-sam``: ``build/<LogicalId>/python`` and ``<LogicalId>.zip``."""
        return self.work_dir / "build"

    @property
    def generated_template(self) -> Path:
        return self.work_dir / "template.yaml"


def load_project(template: Path, output: Optional[Path] = None,
                 container: bool = False) -> Project:
    """Read and transform ``template`` (for output at ``output``, default the work folder).

    The lock file beside the template is read as it is (never resolved here): its fresh
    entries give the layers' ``Lock:`` hashes.
    """
    if output is None:
        output = template.resolve().parent / ".sam-layers" / "template.yaml"
    lock = read_project_lock(template)
    result = transform_file(template, output, TransformOptions(container, lock))
    return Project(template, result, lock)


def lock_problems(lock: LockFile, specs: Sequence[LayerSpec], lock_path: Path) -> list[Problem]:
    """Why the lock does not match the groups: one problem per stale, missing or extra entry."""
    problems = [Problem(f"{key} is not locked or its group changed; run `sam-layers lock`",
                        str(lock_path)) for key in stale_keys(lock, specs)]
    wanted = {s.key for s in specs}
    problems += [Problem(f"{key} is locked but no function needs it any more; run "
                         "`sam-layers lock`", str(lock_path))
                 for key in sorted(set(lock.variants) - wanted)]
    return problems


def ensure_lock(template: Path, *, container: bool = False, frozen: bool = False,
                installer: Optional[Installer] = None) -> tuple[Project, list[str]]:
    """The project with a lock fresh for its groups: re-locks stale variants (not when frozen).

    Returns the project and the keys that were (re-)resolved.
    """
    project = load_project(template, container=container)
    problems = lock_problems(project.lock, project.specs, project.lock_path)
    if not problems:
        return project, []
    if frozen:
        raise BadInput([Problem(p.message.replace("run `sam-layers lock`",
                                                  "run `sam-layers lock` (--frozen refuses to)"),
                                p.file) for p in problems])
    stale = stale_keys(project.lock, project.specs)
    from sam_layers.build import lock_specs

    lock = lock_specs(project.specs, project.lock, installer)
    if project.specs or project.lock_path.exists():
        write_lock(project.lock_path, lock)
    # Only the Lock/Description values change: re-transform from the text already read.
    result = transform_file(template, project.generated_template,
                            TransformOptions(container, lock), text=project.result.document.text)
    return Project(template, result, lock), stale


def read_project_lock(template: Path) -> LockFile:
    return read_lock(template.resolve().parent / LOCK_NAME)


def write_outputs(result: TransformResult, output: Optional[Path],
                  lock: Optional[LockFile] = None) -> None:
    """Write the layers' build folders, then the template (stdout when ``output`` is None)."""
    stale = set(stale_keys(lock, [v.spec for v in result.plan.variants]))
    for variant in result.plan.variants:
        key = variant.spec.key
        entry = lock.get(key) if lock is not None and key not in stale else None
        write_build_folder(result.work_dir / variant.logical_id, variant.spec, entry)
    if output is not None:
        atomic_write(output, result.text)
