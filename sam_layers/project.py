"""A project: one template, its config, plan and the files around it (lock, work folder).

This is where the pure steps meet the file system: read the template, plan, transform, and
write the generated template and layer build folders (atomically; the user's files are never
written).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sam_layers.buildfolder import write_build_folder
from sam_layers.errors import BadInput, Problem
from sam_layers.fsutil import atomic_write
from sam_layers.plan import Plan
from sam_layers.spec import LayerSpec
from sam_layers.transform import TransformOptions, TransformResult, transform_file

LOCK_NAME = "sam-layers.lock"
TEMPLATE_NAMES = ("template.yaml", "template.yml", "template.json")


@dataclass(frozen=True)
class Project:
    template_path: Path
    result: TransformResult

    @property
    def template_dir(self) -> Path:
        return self.template_path.resolve().parent

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


def find_template(template: Optional[Path]) -> Path:
    """``-t`` as given, else the template SAM would pick in the current folder."""
    if template is not None:
        return template
    for name in TEMPLATE_NAMES:
        if Path(name).exists():
            return Path(name)
    raise BadInput(Problem("no template.yaml here; pass the SAM template with -t"))


def load_project(template: Path, output: Optional[Path] = None,
                 options: TransformOptions = TransformOptions()) -> Project:
    """Read and transform ``template`` (for output at ``output``, default the work folder)."""
    if output is None:
        output = template.resolve().parent / ".sam-layers" / "template.yaml"
    return Project(template, transform_file(template, output, options))


def write_outputs(result: TransformResult, output: Optional[Path]) -> None:
    """Write the layers' build folders, then the template (stdout when ``output`` is None)."""
    for variant in result.plan.variants:
        write_build_folder(result.work_dir / variant.logical_id, variant.spec)
    if output is not None:
        atomic_write(output, result.text)
