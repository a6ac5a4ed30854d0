"""SL008: import every top-level module of every distribution with the runtime's own CPython.

Per function, one interpreter, with only that function's layers on ``sys.path`` as Lambda
sees them: layers are extracted into one ``/opt`` in order, later ones overwriting earlier
ones, and Lambda puts ``/opt/python/lib/python3.X/site-packages`` before ``/opt/python``. So
the path is every layer's site-packages folder, latest layer first, then every layer's
``python/`` folder, latest layer first: for a file two layers hold, the later layer's copy is
found first, as on Lambda.

Severity: error; a warning when the function also has layers verify cannot read (an ARN, an
unbuilt layer) that might provide what is missing. A skipped test (no interpreter for the
runtime, another architecture than this host's) is a finding too, never a silent pass.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generator, Iterator, Mapping, Optional

from sam_layers.findings import Finding, Severity
from sam_layers.platforms import RUNTIME_PROVIDED
from sam_layers.plan import FunctionPlan
from sam_layers.verify.cache import cache_key
from sam_layers.verify.context import Context, FunctionLayer
from sam_layers.verify.imports import IMPORT_TEST_VERSION, ImportFailure, import_modules
from sam_layers.verify.model import layer_location
from sam_layers.verify.scan import Distribution

ID = "SL008"
SEVERITY: Severity = "error"
TITLE = "import smoke test failure"

_HOST_MACHINES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}
_PROVIDED_MODULES = frozenset(name.replace("-", "_") for name in RUNTIME_PROVIDED)


# Interpreters run at once (each is one subprocess, mostly waiting on imports and disk).
MAX_PARALLEL = 2


@dataclass(frozen=True)
class _Job:
    fn: FunctionPlan
    key: str
    exe: Path
    paths: tuple[Path, ...]
    modules: tuple[str, ...]
    owners: Mapping[str, tuple[str, Distribution, str]]
    unseen: tuple[str, ...]
    host_glibc: tuple[int, int]


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.skip_import:
        return
    jobs: list[_Job] = []
    for fn in ctx.inputs.plan.functions:
        job = yield from _plan_function(ctx, fn)
        if job is not None:
            jobs.append(job)
    results: dict[str, list[ImportFailure]] = {}
    todo: dict[str, _Job] = {}
    for job in jobs:
        cached = ctx.cache.get("import", job.key)
        if cached is not None:
            results[job.key] = [ImportFailure.from_json(item) for item in cached]
        else:
            todo.setdefault(job.key, job)  # functions with the same layers share one run
    if todo:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(todo))) as pool:
            runs = {key: pool.submit(import_modules, job.exe, job.paths, job.modules)
                    for key, job in todo.items()}
            for key, future in runs.items():
                results[key] = future.result()
                ctx.cache.put("import", key, [f.to_json() for f in results[key]])
    for job in jobs:
        for failure in results[job.key]:
            yield _finding(job.fn, failure, job.owners[failure.module], list(job.unseen),
                           job.exe, job.host_glibc)


def _plan_function(ctx: Context, fn: FunctionPlan) -> Generator[Finding, None, Optional[_Job]]:
    """Yield why a function is not import-tested, or return what to run for it."""
    layers = ctx.layers_of(fn)
    readable = [layer for layer in layers if layer.scan is not None and layer.built is not None]
    owners = _module_owners(readable, fn.target.runtime_info.python_version)
    if not owners:
        return None
    where = layer_location(fn)
    target = fn.target
    host = ctx.host
    machine = _HOST_MACHINES.get(host.machine.lower(), host.machine)
    if host.system != "Linux" or machine != target.arch_info.machine or host.glibc is None:
        yield Finding(
            ID, "info", where,
            f"import test skipped for {fn.logical_id}: its layers are for {target} and this host "
            f"is {host.system or 'unknown'} {host.machine or 'unknown'}"
            f"{'' if host.glibc or host.system != 'Linux' else ' without glibc'}; only the file "
            f"checks ran. Run sam-layers verify on a Linux {target.arch_info.machine} machine "
            f"to import-test them.")
        return None
    version = target.runtime_info.python_version
    lookup = ctx.find_python(version)
    if lookup.executable is None:
        yield Finding(
            ID, "warning", where,
            f"import test skipped for {fn.logical_id}: no CPython {version} found (looked for "
            f"{' and '.join(lookup.looked_in)}). Install CPython {version} (pyenv install "
            f"{version}) to import-test this function's layers.")
        return None
    exe = lookup.executable
    paths = tuple(lambda_sys_path(readable, version))
    modules = tuple(sorted(owners))
    try:
        st = exe.stat()
        exe_id: list[object] = [str(exe), st.st_size, st.st_mtime_ns]
    except OSError:
        exe_id = [str(exe)]
    # The folders are part of the key too: the result is only as good as the path it ran with.
    key = cache_key("import", IMPORT_TEST_VERSION, target.runtime, target.architecture, exe_id,
                    [(layer.name, layer.scan.content_key if layer.scan else "")
                     for layer in readable],
                    [os.path.abspath(p) for p in paths], list(modules))
    unseen = tuple(layer.name for layer in layers if layer.scan is None)
    return _Job(fn, key, exe, paths, modules, owners, unseen, host.glibc)


def _module_owners(readable: list[FunctionLayer],
                   version: str) -> dict[str, tuple[str, Distribution, str]]:
    """Module -> (layer, distribution, folder) that Python finds first on Lambda's path."""
    owners: dict[str, tuple[str, Distribution, str]] = {}
    for layer, pdir in _resolution_order(readable, version):
        assert layer.scan is not None
        for dist in layer.scan.distributions:
            if dist.dist_info.rsplit("/", 1)[0] == pdir:
                for module in dist.modules:
                    owners.setdefault(module, (layer.name, dist, pdir))
    return owners


def _resolution_order(readable: list[FunctionLayer],
                      version: str) -> list[tuple[FunctionLayer, str]]:
    """(layer, folder) in the order Lambda's merged /opt resolves them: every layer's
    site-packages folder, latest layer first, then every layer's python/ folder, latest first."""
    site = f"python/lib/python{version}/site-packages"
    order: list[tuple[FunctionLayer, str]] = []
    for wanted in (site, "python"):
        for layer in reversed(readable):
            assert layer.scan is not None
            if wanted in layer.scan.python_dirs:
                order.append((layer, wanted))
    return order


def lambda_sys_path(readable: list[FunctionLayer], version: str) -> list[Path]:
    """The layers' folders in the order Lambda's merged /opt resolves them (latest layer first)."""
    paths = []
    for layer, pdir in _resolution_order(readable, version):
        assert layer.built is not None
        paths.append(layer.built.path / pdir)
    return paths


def _finding(fn: FunctionPlan, failure: ImportFailure, owner: tuple[str, Distribution, str],
             unseen: list[str], exe: Path, host_glibc: tuple[int, int]) -> Finding:
    layer, dist, pdir = owner
    location = f"{layer}:{pdir}/{failure.module}"
    head = (f"`import {failure.module}` ({dist.name} {dist.version}) fails for "
            f"{fn.logical_id} with {fn.target.runtime}'s CPython ({exe}): {failure.error}.")
    runtime_glibc = fn.target.runtime_info.glibc
    if "GLIBC_" in failure.error and host_glibc < runtime_glibc:
        return Finding(ID, "info", location,
                       f"{head} This host's glibc {host_glibc[0]}.{host_glibc[1]} is older than "
                       f"{fn.target.runtime}'s {runtime_glibc[0]}.{runtime_glibc[1]}, so this "
                       f"failure says nothing about Lambda (SL005 checks the glibc the layer "
                       f"needs); import-test on a newer Linux.")
    missing_top = (failure.missing or "").split(".")[0]
    if missing_top in _PROVIDED_MODULES:
        return Finding(ID, "info", location,
                       f"{head} The Lambda runtime provides {missing_top}, which this test does "
                       f"not put on the path; it should import on Lambda.")
    if failure.missing and "." not in failure.missing:
        todo = (f" Add {failure.missing} to the group that builds {layer} (its dependency is "
                f"missing from the layers), or to a group this function uses.")
    else:
        todo = (" Rebuild the layer for this runtime, or add the distribution that provides "
                "the missing piece to the group.")
    if unseen:
        return Finding(ID, "warning", location,
                       f"{head}{todo} (The function also has layers verify cannot read: "
                       f"{', '.join(unseen)}; if one of them provides it, ignore this.)")
    return Finding(ID, SEVERITY, location, head + todo)
