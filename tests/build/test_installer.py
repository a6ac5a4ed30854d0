from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Mapping, Sequence

import pytest

from sam_layers.errors import BadInput, ToolError
from sam_layers.installer import PipInstaller, UvInstaller
from sam_layers.lockfile import LockedFile, LockedPackage, LockedVariant
from sam_layers.platforms import Target
from sam_layers.spec import LayerSpec

SPEC = LayerSpec("Web", Target("python3.11", "arm64"), ("requests", "boto3-stubs"),
                 explicit=frozenset({"botocore"}))

PYLOCK = '''lock-version = "1.0"
created-by = "uv"
[[packages]]
name = "requests"
version = "2.32.3"
wheels = [{ url = "https://f/requests-2.32.3-py3-none-any.whl", size = 5, hashes = { sha256 = "aa" } }]
'''


class Recorder:
    """A stand-in for subprocess.run that records commands and answers from a script."""

    def __init__(self, answers: Sequence[tuple[int, str]]) -> None:
        self.answers = list(answers)
        self.calls: list[list[str]] = []
        self.envs: list[Mapping[str, str]] = []
        self.excludes: list[str] = []

    def __call__(self, cmd: Sequence[str], env: Mapping[str, str]) -> "subprocess.CompletedProcess[str]":
        self.calls.append(list(cmd))
        self.envs.append(env)
        if "--excludes" in cmd:
            self.excludes.append(Path(cmd[cmd.index("--excludes") + 1]).read_text())
        rc, stderr = self.answers.pop(0)
        if rc == 0 and "-o" in cmd:
            Path(cmd[cmd.index("-o") + 1]).write_text(PYLOCK)
        return subprocess.CompletedProcess(list(cmd), rc, "", stderr)


def test_resolve_targets_the_runtime_and_excludes_runtime_packages() -> None:
    run = Recorder([(0, "")])
    locked = UvInstaller(["uv"], run=run).resolve(SPEC)
    cmd = run.calls[0]
    assert cmd[:3] == ["uv", "pip", "compile"]
    for flag, value in (("--python-platform", "aarch64-manylinux_2_28"), ("--python-version", "3.11"),
                        ("--only-binary", ":all:"), ("--format", "pylock.toml")):
        assert cmd[cmd.index(flag) + 1] == value
    assert "--no-python-downloads" in cmd
    assert run.envs[0]["UV_PYTHON_DOWNLOADS"] == "never"
    assert run.excludes == ["boto3\njmespath\ns3transfer\n"]  # botocore is named by the group
    assert locked.key == "Web/python3.11/arm64"
    assert locked.input_hash == SPEC.input_hash
    assert locked.packages == (LockedPackage("requests", "2.32.3", wheels=(LockedFile(
        "requests-2.32.3-py3-none-any.whl", "https://f/requests-2.32.3-py3-none-any.whl", "aa", 5),)),)


@pytest.mark.parametrize("stderr,kind,text", [
    ("error: Failed to write to `/c/x`\n  Caused by: No space left on device (os error 28)\n",
     ToolError, "Web/python3.11/arm64: disk full while resolving Web/python3.11/arm64 (uv: error: "
                "Failed to write to `/c/x` | Caused by: No space left on device (os error 28))"),
    ("error: Failed to fetch: https://pypi.org/simple/requests/\n  cause: tcp connect error\n"
     "  cause: Connection refused (os error 111)\n",
     ToolError, "cannot reach the package index while resolving Web/python3.11/arm64 (uv: error: "
                "Failed to fetch: https://pypi.org/simple/requests/ | cause: Connection refused "
                "(os error 111))"),
    ("error: No solution found when resolving dependencies\n  cause: Because you require a==1 and "
     "a==2, we can conclude that your requirements are unsatisfiable.\n",
     BadInput, "Web/python3.11/arm64: the group's requirements cannot be resolved together (uv: "
               "error: No solution found when resolving dependencies | cause: Because you require "
               "a==1 and a==2, we can conclude that your requirements are unsatisfiable.)"),
])
def test_resolve_failures_become_one_clear_error(stderr: str, kind: type, text: str) -> None:
    with pytest.raises(kind) as err:  # type: ignore[var-annotated]
        UvInstaller(["uv"], run=Recorder([(2, stderr)] * 2)).resolve(SPEC)
    assert text in str(err.value)


LOCKED = LockedVariant("Web/python3.12/x86_64", "python3.12", "x86_64", "sha256:x", (),
                       (LockedPackage("six", "1.17.0", wheels=(LockedFile("six.whl", "u", "cd"),)),))


def test_install_tries_offline_then_online(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    run = Recorder([(2, "error: Network connectivity is disabled"), (0, "")])
    UvInstaller(["uv"], run=run).install(LOCKED, tmp_path / "python")
    assert [c[-1] for c in run.calls] == ["--offline", "hardlink"]
    cmd = run.calls[1]
    for flag in ("--require-hashes", "--no-deps", "--no-python-downloads"):
        assert flag in cmd
    assert cmd[cmd.index("--target") + 1] == str(tmp_path / "python")
    assert cmd[cmd.index("--python-platform") + 1] == "x86_64-manylinux_2_34"


def test_pip_install_uses_platform_flags(tmp_path: Path) -> None:
    run = Recorder([(0, "")])
    PipInstaller("py", run=run).install(LOCKED, tmp_path / "python")
    cmd = run.calls[0]
    assert cmd[:4] == ["py", "-m", "pip", "install"]
    platforms = [cmd[i + 1] for i, c in enumerate(cmd) if c == "--platform"]
    assert platforms[:3] == ["manylinux_2_34_x86_64", "manylinux_2_33_x86_64", "manylinux_2_32_x86_64"]
    assert platforms[-1] == "manylinux1_x86_64"
    assert cmd[cmd.index("--abi") + 1] == "cp312"
    assert "--require-hashes" in cmd and "--no-deps" in cmd and "--no-compile" in cmd


def test_uv_platform_ceiling_names_the_level_above_al2s_glibc() -> None:
    from sam_layers.platforms import uv_python_platform, uv_python_platform_ceiling

    assert uv_python_platform(Target("python3.11")) == "x86_64-manylinux_2_17"
    assert uv_python_platform_ceiling(Target("python3.11")) == "x86_64-manylinux_2_28"
    assert uv_python_platform_ceiling(Target("python3.11", "arm64")) == "aarch64-manylinux_2_28"
    assert uv_python_platform_ceiling(Target("python3.12")) == "x86_64-manylinux_2_34"
