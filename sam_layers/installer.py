"""Resolving and installing packages for a Lambda target, behind one small interface.

:class:`UvInstaller` is the default (fast; hard-links from uv's cache); :class:`PipInstaller`
is the fallback, using pip's ``--platform``/``--target``. Both resolve for the *target*
(its CPython, glibc level and architecture; binary wheels only, markers evaluated for the
target), never download interpreters, and install a locked set with hashes required.

Failures of the tools are turned into one clear error each, quoting the tool's key line:
an unreachable registry or a full disk is a :class:`ToolError`, an unsatisfiable group or a
package without a usable wheel is a :class:`BadInput` naming the package and the target.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Mapping, Optional, Protocol, Sequence

from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename

from sam_layers._compat import tomllib
from sam_layers.errors import BadInput, Problem, ToolError
from sam_layers.lockfile import LockedFile, LockedPackage, LockedVariant, requirements_txt
from sam_layers.platforms import (
    RUNTIME_PROVIDED, Target, pip_platforms, supported_tags, uv_python_platform,
    uv_python_platform_ceiling,
)
from sam_layers.spec import LayerSpec

Runner = Callable[[Sequence[str], Mapping[str, str]], "subprocess.CompletedProcess[str]"]
CommandLog = Callable[[str], None]

# A manylinux level above every Lambda runtime's glibc: a package that resolves here but not
# for the target has wheels only for a newer glibc than the runtime's OS.
_NEWEST_MANYLINUX = "manylinux_2_40"

_NETWORK_MARKERS = (
    "error sending request", "dns error", "failed to lookup address", "tcp connect error",
    "connection refused", "could not connect", "network is unreachable", "operation timed out",
    "failed to establish a new connection", "temporary failure in name resolution",
    "max retries exceeded",
)
_DISK_MARKERS = ("no space left on device", "disk quota exceeded", "errno 28")
_NO_WHEEL = re.compile(r"Wheels are required for `([^`]+)`")
_NO_WHEEL_CAUSE = re.compile(r"Because (?:all versions of )?([A-Za-z0-9][A-Za-z0-9._-]*)\S* has no "
                             r"(?:usable )?wheels")


def _run(cmd: Sequence[str], env: Mapping[str, str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(list(cmd), env=dict(env), capture_output=True, text=True, check=False)


def _key_lines(stderr: str) -> str:
    """What a tool's error output says happened: its error line and its root cause, as one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [ln for ln in lines if ln.lower().startswith("error")]
    causes = [ln for ln in lines if ln.lower().startswith(("cause", "caused by"))]
    picked = errors[:1] + causes[-1:] if errors or causes else lines[-2:]
    text = " | ".join(picked)
    return text if len(text) <= 600 else text[:597] + "..."


def _wrap_failure(tool: str, action: str, stderr: str, where: str) -> Exception:
    """One error per kind of failure, with the tool's key line quoted."""
    low = stderr.lower()
    key = _key_lines(stderr)
    if any(m in low for m in _DISK_MARKERS):
        return ToolError(f"{where}: disk full while {action} ({tool}: {key}); free some space "
                         "(the package cache lives in UV_CACHE_DIR / the user cache folder)")
    if any(m in low for m in _NETWORK_MARKERS):
        return ToolError(f"{where}: cannot reach the package index while {action} ({tool}: {key}); "
                         "check the network and the index settings (UV_INDEX_URL, pip.conf)")
    if "no solution found" in low or "resolutionimpossible" in low or "conflicting dependencies" in low:
        return BadInput(Problem(f"the group's requirements cannot be resolved together "
                                f"({tool}: {key}); loosen or change the conflicting pins",
                                where=where))
    if "hash mismatch" in low or "hashes do not match" in low or "do not match the hashes" in low:
        return BadInput(Problem(f"a downloaded file does not match the hash in sam-layers.lock "
                                f"({tool}: {key}); run `sam-layers lock` to re-lock", where=where))
    return ToolError(f"{where}: {tool} failed while {action}: {key}")


def _installer_env(extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    env = dict(os.environ)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    if extra:
        env.update(extra)
    return env


class Installer(Protocol):
    """Resolves a layer spec for its target and installs a locked set into a folder."""

    name: str

    def resolve(self, spec: LayerSpec) -> LockedVariant: ...

    def install(self, locked: LockedVariant, target_dir: Path) -> None: ...


def find_uv() -> Optional[list[str]]:
    """uv next to this Python, then on PATH, then as ``python -m uv``."""
    beside = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    on_path = shutil.which("uv")
    if on_path:
        return [on_path]
    import importlib.util

    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    return None


def default_installer(on_command: Optional[CommandLog] = None) -> "Installer":
    uv = find_uv()
    if uv is not None:
        return UvInstaller(uv=uv, on_command=on_command)
    return PipInstaller(on_command=on_command)


def _excluded(spec: LayerSpec) -> list[str]:
    explicit = {canonicalize_name(n) for n in spec.explicit}
    return sorted(n for n in RUNTIME_PROVIDED if canonicalize_name(n) not in explicit)


def _variant(spec: LayerSpec, packages: Sequence[LockedPackage]) -> LockedVariant:
    return LockedVariant(
        key=spec.key, runtime=spec.target.runtime, architecture=spec.target.architecture,
        input_hash=spec.input_hash, requirements=tuple(spec.requirements),
        packages=tuple(sorted(packages, key=lambda p: p.name.lower())),
    )


def _target_text(target: Target) -> str:
    info = target.runtime_info
    return (f"{target} ({info.os}, glibc {info.glibc[0]}.{info.glibc[1]}, "
            f"CPython {info.python_version}, {target.arch_info.machine})")


def _check_built_wheel_is_pure(probe_dir: Path) -> Optional[str]:
    """The non-pure tag of the wheel installed into ``probe_dir``, or None when it is pure."""
    for wheel_file in probe_dir.glob("*.dist-info/WHEEL"):
        text = wheel_file.read_text(encoding="utf-8", errors="replace")
        tags = [ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("Tag:")]
        for tag in tags:
            if not tag.endswith("-none-any"):
                return tag
    return None


class UvInstaller:
    """uv: ``uv pip compile --format pylock.toml`` to resolve, ``uv pip install --target`` to install."""

    name = "uv"

    def __init__(self, uv: Optional[Sequence[str]] = None, *, run: Runner = _run,
                 on_command: Optional[CommandLog] = None) -> None:
        found = list(uv) if uv is not None else find_uv()
        if not found:
            raise ToolError("uv is not installed; install it with `pip install uv` "
                            "(or use the pip installer)")
        self.uv = found
        self.run = run
        self.on_command = on_command
        self._cache_dir: Optional[Path] = None

    def _call(self, args: Sequence[str]) -> "subprocess.CompletedProcess[str]":
        cmd = [*self.uv, *args]
        if self.on_command:
            self.on_command(" ".join(cmd))
        return self.run(cmd, _installer_env())

    def _target_args(self, target: Target, platform: Optional[str] = None) -> list[str]:
        return ["--python-platform", platform or uv_python_platform(target),
                "--python-version", target.runtime_info.python_version,
                "--no-python-downloads"]

    # --- resolving -------------------------------------------------------------------------

    def _compile(self, spec: LayerSpec, tmp: Path, no_binary: Sequence[str],
                 platform: Optional[str] = None, constraints: Sequence[str] = (),
                 requirements: Optional[Sequence[str]] = None,
                 no_deps: bool = False) -> "subprocess.CompletedProcess[str]":
        req = tmp / "requirements.in"
        req.write_text("\n".join(spec.requirements if requirements is None else requirements) + "\n",
                       encoding="utf-8")
        excludes = tmp / "excludes.txt"
        excludes.write_text("\n".join(_excluded(spec)) + "\n", encoding="utf-8")
        args = ["pip", "compile", str(req), "--format", "pylock.toml", "-o", str(tmp / "pylock.toml"),
                "--no-header", "--quiet", "--excludes", str(excludes),
                *self._target_args(spec.target, platform), "--only-binary", ":all:"]
        for name in no_binary:
            args += ["--no-binary", name]
        if constraints:
            (tmp / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
            args += ["-c", str(tmp / "constraints.txt")]
        if no_deps:
            args.append("--no-deps")
        return self._call(args)

    def resolve(self, spec: LayerSpec) -> LockedVariant:
        with tempfile.TemporaryDirectory(prefix="sam-layers-lock-") as tmp_name:
            tmp = Path(tmp_name)
            packages: Optional[list[LockedPackage]] = None
            ceiling = uv_python_platform_ceiling(spec.target)
            if ceiling != uv_python_platform(spec.target):
                packages = self._resolve_at_ceiling(spec, tmp / "ceiling", ceiling)
            if packages is None:
                packages = self._resolve_at_floor(spec, tmp)
            for pkg in packages:
                if pkg.built_on_host:
                    self._check_pure_sdist(spec, pkg, tmp)
        return _variant(spec, packages)

    def _resolve_at_ceiling(self, spec: LayerSpec, tmp: Path,
                            platform: str) -> Optional[list[LockedPackage]]:
        """Resolve at the uv level above the target's glibc; None unless every pick fits the target.

        A pick with no wheel for the target (numpy 2.4 needs glibc 2.27; AL2 has 2.26) is capped
        at the newest version that has one (found at the floor level) and the group re-resolved,
        so pandas 3 (manylinux_2_24) still resolves for python3.11, with numpy 2.2.
        """
        tmp.mkdir()
        constraints: list[str] = []
        for _ in range(4):
            proc = self._compile(spec, tmp, (), platform=platform, constraints=constraints)
            if proc.returncode != 0:
                if "no solution found" not in proc.stderr.lower():
                    raise _wrap_failure("uv", f"resolving {spec.key}", proc.stderr, spec.key)
                return None  # the floor resolution says why (or finds an older set)
            packages = _read_pylock(tmp)
            misfits = _misfits(packages, spec.target)
            if not misfits:
                return _only_compatible(packages, spec.target)
            for name in misfits:
                cap = self._newest_fitting(spec, tmp / f"cap-{name}", name)
                if cap is None:
                    return None
                constraints.append(f"{name}<={cap}")
        return None

    def _newest_fitting(self, spec: LayerSpec, tmp: Path, name: str) -> Optional[str]:
        tmp.mkdir(exist_ok=True)
        proc = self._compile(spec, tmp, (), requirements=[name], no_deps=True)
        if proc.returncode != 0:
            return None
        found = [p.version for p in _read_pylock(tmp) if canonicalize_name(p.name) == canonicalize_name(name)]
        return found[0] if found else None

    def _resolve_at_floor(self, spec: LayerSpec, tmp: Path) -> list[LockedPackage]:
        """Resolve at the newest uv level within the target's glibc, building pure sdists if needed."""
        no_binary: list[str] = []
        while True:
            proc = self._compile(spec, tmp, no_binary)
            if proc.returncode == 0:
                break
            match = _NO_WHEEL.search(proc.stderr) or _NO_WHEEL_CAUSE.search(proc.stderr)
            name = match.group(1) if match else None
            if name is None or name in no_binary:
                raise _wrap_failure("uv", f"resolving {spec.key}", proc.stderr, spec.key)
            self._explain_newer_glibc(spec, name, tmp)
            no_binary.append(name)
        packages = _only_compatible(_read_pylock(tmp), spec.target)
        assert packages is not None  # uv resolved within the target's glibc
        return packages

    def _explain_newer_glibc(self, spec: LayerSpec, name: str, tmp: Path) -> None:
        """Raise when the package has wheels, but only for a newer glibc than the runtime's OS."""
        newer = tmp / "newer"
        newer.mkdir(exist_ok=True)
        platform = f"{spec.target.arch_info.machine}-{_NEWEST_MANYLINUX}"
        proc = self._compile(spec, newer, (), platform=platform)
        if proc.returncode != 0:
            return
        data = tomllib.loads((newer / "pylock.toml").read_text(encoding="utf-8"))
        wanted = canonicalize_name(name)
        for raw in data.get("packages", ()):
            if canonicalize_name(str(raw["name"])) != wanted:
                continue
            levels = sorted({_manylinux_level(w.name) for w in _package_from_pylock(raw).wheels} - {""})[:1]
            info = spec.target.runtime_info
            if levels and _glibc_of_level(levels[0]) <= info.glibc:
                raise BadInput(Problem(
                    f"package {name} {raw['version']} has {levels[0]} wheels, which "
                    f"{_target_text(spec.target)} accepts, but not together with the rest of the "
                    f"group; pin {name} to a version that ships manylinux2014 wheels",
                    where=spec.key))
            raise BadInput(Problem(
                f"package {name} {raw['version']} has wheels only for a newer glibc "
                f"({', '.join(levels) or 'manylinux'}) than {_target_text(spec.target)}; pin an "
                f"older {name} that ships manylinux2014 wheels, or use a python3.12+ runtime "
                f"(Amazon Linux 2023). --use-container would not help either: {info.os} has "
                f"glibc {info.glibc[0]}.{info.glibc[1]}",
                where=spec.key))

    def _check_pure_sdist(self, spec: LayerSpec, pkg: LockedPackage, tmp: Path) -> None:
        """Build the sdist on the host; a non-pure result cannot run on Lambda."""
        probe = tmp / f"probe-{pkg.name}"
        proc = self._call(["pip", "install", "--target", str(probe), "--no-deps", "--quiet",
                           "--python", sys.executable, "--no-python-downloads",
                           "--no-binary", pkg.name, f"{pkg.name}=={pkg.version}"])
        native_tag = _check_built_wheel_is_pure(probe) if proc.returncode == 0 else "unbuildable"
        if native_tag is None:
            return
        detail = ("its sdist failed to build on this host" if proc.returncode != 0
                  else f"its sdist builds a native wheel ({native_tag})")
        raise BadInput(Problem(
            f"package {pkg.name} {pkg.version} has no wheel for {_target_text(spec.target)} and "
            f"{detail}; build this layer in Lambda's image with --use-container, or pin a "
            "version that ships a compatible wheel", where=spec.key))

    # --- installing ------------------------------------------------------------------------

    def cache_dir(self) -> Optional[Path]:
        if self._cache_dir is None:
            env = os.environ.get("UV_CACHE_DIR")
            if env:
                self._cache_dir = Path(env)
            else:
                proc = self.run([*self.uv, "cache", "dir"], _installer_env())
                if proc.returncode == 0 and proc.stdout.strip():
                    self._cache_dir = Path(proc.stdout.strip())
        return self._cache_dir

    def link_mode(self, target_dir: Path) -> str:
        cache = self.cache_dir()
        try:
            if cache is not None:
                cache.mkdir(parents=True, exist_ok=True)
                if os.stat(cache).st_dev == os.stat(target_dir.parent).st_dev:
                    return "hardlink"
        except OSError:
            pass
        return "copy"

    def install(self, locked: LockedVariant, target_dir: Path) -> None:
        target = Target(locked.runtime, locked.architecture)
        target_dir.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sam-layers-install-") as tmp_name:
            req = Path(tmp_name) / "requirements.txt"
            req.write_text(requirements_txt(locked), encoding="utf-8")
            # At the ceiling so wheels between uv's levels install; the hashes keep uv to the
            # locked wheels, which all fit the target.
            args = ["pip", "install", "-r", str(req), "--target", str(target_dir),
                    "--require-hashes", "--no-deps", "--quiet",
                    *self._target_args(target, uv_python_platform_ceiling(target)),
                    "--only-binary", ":all:", "--link-mode", self.link_mode(target_dir)]
            for pkg in locked.packages:
                if pkg.built_on_host:
                    args += ["--no-binary", pkg.name]
            if not locked.packages:
                target_dir.mkdir(parents=True, exist_ok=True)
                return
            proc = self._call([*args, "--offline"])
            if proc.returncode != 0:
                # Not everything cached yet (or offline failed for another reason): go online.
                shutil.rmtree(target_dir, ignore_errors=True)
                proc = self._call(args)
            if proc.returncode != 0:
                shutil.rmtree(target_dir, ignore_errors=True)
                raise _wrap_failure("uv", f"installing {locked.key}", proc.stderr, locked.key)


def _manylinux_level(wheel_name: str) -> str:
    """The lowest manylinux level a wheel's tags name: the glibc it needs (``manylinux_2_27``)."""
    try:
        _, _, _, tags = parse_wheel_filename(wheel_name)
    except ValueError:
        return ""
    levels = sorted({(int(m.group(1)), int(m.group(2))) for t in tags
                     for m in [re.match(r"manylinux_(\d+)_(\d+)_", t.platform)] if m})
    return f"manylinux_{levels[0][0]}_{levels[0][1]}" if levels else ""


def _glibc_of_level(level: str) -> tuple[int, int]:
    major, minor = level[len("manylinux_"):].split("_")[:2]
    return int(major), int(minor)


def _read_pylock(folder: Path) -> list[LockedPackage]:
    data = tomllib.loads((folder / "pylock.toml").read_text(encoding="utf-8"))
    return [_package_from_pylock(p) for p in data.get("packages", ())]


def _misfits(packages: Sequence[LockedPackage], target: Target) -> list[str]:
    accepted = set(supported_tags(target))
    out = []
    for pkg in packages:
        if pkg.wheels and not any(_fits(w.name, accepted) for w in pkg.wheels):
            out.append(pkg.name)
    return out


def _fits(wheel_name: str, accepted: set[Tag]) -> bool:
    try:
        tags = parse_wheel_filename(wheel_name)[3]
    except ValueError:
        return False
    return any(tag in accepted for tag in tags)


def _only_compatible(packages: Sequence[LockedPackage], target: Target) -> Optional[list[LockedPackage]]:
    """Keep the wheels the target accepts; None when a package is left with none."""
    accepted = set(supported_tags(target))
    out: list[LockedPackage] = []
    for pkg in packages:
        if not pkg.wheels:
            out.append(pkg)
            continue
        keep = [w for w in pkg.wheels if _fits(w.name, accepted)]
        if not keep:
            return None
        out.append(LockedPackage(pkg.name, pkg.version, wheels=tuple(keep), sdist=pkg.sdist))
    return out


def _package_from_pylock(raw: Mapping[str, object]) -> LockedPackage:
    def file(data: object) -> LockedFile:
        assert isinstance(data, Mapping)
        url = str(data.get("url", ""))
        name = str(data.get("name") or url.rsplit("/", 1)[-1])
        size = data.get("size")
        hashes = data["hashes"]
        assert isinstance(hashes, Mapping)
        return LockedFile(name=name, url=url, sha256=str(hashes["sha256"]),
                          size=int(size) if isinstance(size, int) else None)

    wheels_raw = raw.get("wheels") or []
    assert isinstance(wheels_raw, list)
    sdist_raw = raw.get("sdist")
    return LockedPackage(
        name=str(raw["name"]), version=str(raw["version"]),
        wheels=tuple(file(w) for w in wheels_raw),
        sdist=file(sdist_raw) if sdist_raw and not wheels_raw else None,
    )


class PipInstaller:
    """pip's ``--platform``/``--only-binary``/``--target``: the fallback when uv is missing."""

    name = "pip"

    def __init__(self, python: Optional[str] = None, *, run: Runner = _run,
                 on_command: Optional[CommandLog] = None) -> None:
        self.python = python or sys.executable
        self.run = run
        self.on_command = on_command

    def _call(self, args: Sequence[str]) -> "subprocess.CompletedProcess[str]":
        cmd = [self.python, "-m", "pip", *args]
        if self.on_command:
            self.on_command(" ".join(cmd))
        return self.run(cmd, _installer_env())

    def _target_args(self, target: Target) -> list[str]:
        info = target.runtime_info
        args = ["--python-version", info.python_version, "--implementation", "cp",
                "--abi", info.cpython_abi, "--only-binary", ":all:"]
        for platform in pip_platforms(target):
            args += ["--platform", platform]
        return args

    def resolve(self, spec: LayerSpec) -> LockedVariant:
        with tempfile.TemporaryDirectory(prefix="sam-layers-lock-") as tmp_name:
            tmp = Path(tmp_name)
            req = tmp / "requirements.in"
            req.write_text("\n".join(spec.requirements) + "\n", encoding="utf-8")
            report = tmp / "report.json"
            proc = self._call(["install", "--dry-run", "--ignore-installed", "--quiet",
                               "--report", str(report), "--target", str(tmp / "t"),
                               "-r", str(req), *self._target_args(spec.target)])
            if proc.returncode != 0:
                low = proc.stderr.lower()
                if "no matching distribution found" in low and not any(
                        m in low for m in _NETWORK_MARKERS):
                    raise BadInput(Problem(
                        f"no wheel for {_target_text(spec.target)} satisfies the group "
                        f"(pip: {_key_lines(proc.stderr)}); build this layer with --use-container, "
                        "or pin a version that ships a compatible wheel", where=spec.key))
                raise _wrap_failure("pip", f"resolving {spec.key}", proc.stderr, spec.key)
            data = json.loads(report.read_text(encoding="utf-8"))
        excluded = {canonicalize_name(n) for n in _excluded(spec)}
        packages: list[LockedPackage] = []
        for item in data.get("install", ()):
            meta, info = item["metadata"], item["download_info"]
            if canonicalize_name(meta["name"]) in excluded:
                continue
            hashes = info.get("archive_info", {}).get("hashes", {})
            sha = hashes.get("sha256") or str(info.get("archive_info", {}).get("hash", "")).split("=")[-1]
            url = str(info["url"])
            packages.append(LockedPackage(
                name=str(meta["name"]), version=str(meta["version"]),
                wheels=(LockedFile(name=url.rsplit("/", 1)[-1], url=url, sha256=sha),),
            ))
        return _variant(spec, packages)

    def install(self, locked: LockedVariant, target_dir: Path) -> None:
        target = Target(locked.runtime, locked.architecture)
        if not locked.packages:
            target_dir.mkdir(parents=True, exist_ok=True)
            return
        with tempfile.TemporaryDirectory(prefix="sam-layers-install-") as tmp_name:
            req = Path(tmp_name) / "requirements.txt"
            req.write_text(requirements_txt(locked), encoding="utf-8")
            proc = self._call(["install", "--quiet", "--no-deps", "--require-hashes", "--no-compile",
                               "--no-warn-script-location", "--target", str(target_dir),
                               "-r", str(req), *self._target_args(target)])
        if proc.returncode != 0:
            shutil.rmtree(target_dir, ignore_errors=True)
            raise _wrap_failure("pip", f"installing {locked.key}", proc.stderr, locked.key)


__all__ = ["Installer", "PipInstaller", "UvInstaller", "default_installer", "find_uv"]
