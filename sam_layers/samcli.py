"""Running the real SAM CLI on the generated template, the way the user's project expects.

SAM reads ``samconfig.toml`` from the folder of the template it is given; sam-layers gives it
``.sam-layers/template.yaml``, so the user's config file is passed explicitly. Output streams
through unchanged; the last layer SAM started is remembered so a failure can name it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence

from sam_layers.errors import BadInput, Problem, ToolError

CONFIG_NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")
# What SAM says as it starts a resource ("Building layer 'WebLayer'"; with --parallel its lines
# carry the resource: "WebLayer: Running CustomMakeBuilder:MakeBuild").
_STARTED = (re.compile(r"^Building layer '([A-Za-z0-9]+)'"),
            re.compile(r"^([A-Za-z0-9]+): Running \w+:\w+"),
            re.compile(r"^Building codeuri: .* functions: ([A-Za-z0-9]+)"))
INSTALL_HINT = ("install the AWS SAM CLI (`pip install aws-sam-cli`, or see "
                "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/"
                "install-sam-cli.html) or pass --no-sam to build the layer zips alone")


def find_sam() -> str:
    """``sam`` beside this Python first (same virtualenv), then on PATH."""
    beside = Path(sys.executable).with_name("sam")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("sam")
    if found:
        return found
    raise ToolError(f"`sam` was not found: {INSTALL_HINT}", exit_code=2)


def find_config(template_dir: Path, config_file: Optional[str]) -> Optional[Path]:
    """The samconfig SAM would use for a template in ``template_dir``."""
    if config_file:
        path = Path(config_file)
        path = path if path.is_absolute() else template_dir / path
        if not path.is_file():
            raise BadInput(Problem("config file not found; --config-file is relative to the "
                                   "template's folder", str(path)))
        return path
    for name in CONFIG_NAMES:
        if (template_dir / name).is_file():
            return template_dir / name
    return None


def build_parameters(config: Optional[Path], env: str = "default") -> Mapping[str, Any]:
    """``[<env>.build.parameters]`` of a samconfig (``global.parameters`` merged below it)."""
    if config is None:
        return {}
    try:
        if config.suffix == ".toml":
            from sam_layers._compat import tomllib

            data = tomllib.loads(config.read_text(encoding="utf-8"))
        else:
            from ruamel.yaml import YAML

            data = YAML(typ="safe").load(config.read_text(encoding="utf-8"))
    except Exception as exc:  # the file is SAM's business; report, do not crash
        raise BadInput(Problem(f"cannot read the SAM config file: {exc}", str(config)))
    section = data.get(env) if isinstance(data, dict) else None
    merged: dict[str, Any] = {}
    for command in ("global", "build"):
        part = section.get(command) if isinstance(section, dict) else None
        params = part.get("parameters") if isinstance(part, dict) else None
        if isinstance(params, dict):
            merged.update(params)
    return merged


@dataclass(frozen=True)
class SamRun:
    exit_code: int
    last_resource: Optional[str]


def run_sam_build(template: Path, cwd: Path, *, config: Optional[Path], config_env: Optional[str],
                  use_container: bool, extra: Sequence[str],
                  echo: Callable[[str], None]) -> SamRun:
    cmd = [find_sam(), "build", "-t", str(template)]
    if config is not None:
        cmd += ["--config-file", str(config.resolve())]
    if config_env:
        cmd += ["--config-env", config_env]
    if use_container:
        cmd.append("--use-container")
    cmd += list(extra)
    env = {**os.environ, "SAM_CLI_TELEMETRY": os.environ.get("SAM_CLI_TELEMETRY", "0")}
    last: Optional[str] = None
    try:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env, bufsize=1)
    except OSError as exc:
        raise ToolError(f"cannot run {cmd[0]}: {exc}; {INSTALL_HINT}", exit_code=2) from exc
    assert proc.stdout is not None
    for line in proc.stdout:
        echo(line.rstrip("\n"))
        for pattern in _STARTED:
            match = pattern.search(line)
            if match:
                last = match.group(1)
                break
    return SamRun(proc.wait(), last)
