"""The facts every rule reads: the input, one scan per built layer, each function's code size.

Built once per run by :func:`make_context`; rules are pure functions of it (the import test
also runs interpreters, through :attr:`Context.find_python`).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional

from sam_layers.plan import FunctionPlan, LayerRef
from sam_layers.platforms import Target
from sam_layers.verify.cache import ResultCache
from sam_layers.verify.model import BuiltLayer, VerifyInput, layer_key
from sam_layers.verify.pythons import PythonLookup, find_python
from sam_layers.verify.scan import LayerScan, folder_size, scan_layer


@dataclass(frozen=True)
class Host:
    """The machine the import test would run on."""

    machine: str  # platform.machine(): "x86_64", "aarch64", "arm64", "AMD64"
    system: str  # platform.system(): "Linux", "Darwin", "Windows"
    glibc: Optional[tuple[int, int]]  # None on a non-glibc system (musl, macOS, Windows)

    @classmethod
    def current(cls) -> "Host":
        return cls(platform.machine(), platform.system(), _host_glibc())


def _host_glibc() -> Optional[tuple[int, int]]:
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""  # "glibc 2.36"
    except (AttributeError, ValueError, OSError):
        return None
    parts = text.split()
    if len(parts) == 2 and parts[0] == "glibc":
        numbers = parts[1].split(".")
        if len(numbers) >= 2 and numbers[0].isdigit() and numbers[1].isdigit():
            return int(numbers[0]), int(numbers[1])
    return None


@dataclass(frozen=True)
class FunctionLayer:
    """One entry of a function's layer list, with what verify knows about it."""

    ref: LayerRef
    key: Optional[str]  # the logical id it points at in this template, if any
    built: Optional[BuiltLayer]
    scan: Optional[LayerScan]

    @property
    def name(self) -> str:
        return self.key or self.ref.text


@dataclass(frozen=True)
class Context:
    inputs: VerifyInput
    scans: Mapping[str, LayerScan]  # layer logical id -> scan of its build
    code_sizes: Mapping[str, int]  # function logical id -> unzipped bytes of its code
    cache: ResultCache
    skip_import: bool = False
    find_python: Callable[[str], PythonLookup] = find_python
    host: Host = Host("", "", None)

    def layers_of(self, fn: FunctionPlan) -> list[FunctionLayer]:
        found = []
        for ref in fn.layers:
            key = layer_key(ref)
            built = self.inputs.layers.get(key) if key else None
            found.append(FunctionLayer(ref, key, built, self.scans.get(key) if key else None))
        return found

    def layer_targets(self) -> list[tuple[str, Target]]:
        """Every (built layer, target it must run on): its variant's, and its functions'."""
        pairs: set[tuple[str, Target]] = set()
        for variant in self.inputs.plan.variants:
            if variant.logical_id in self.scans:
                pairs.add((variant.logical_id, variant.target))
        for fn in self.inputs.plan.functions:
            for layer in self.layers_of(fn):
                if layer.key and layer.scan is not None:
                    pairs.add((layer.key, fn.target))
        return sorted(pairs, key=lambda p: (p[0], str(p[1])))


def make_context(inputs: VerifyInput, cache: ResultCache, *, skip_import: bool = False,
                 find_python: Callable[[str], PythonLookup] = find_python,
                 host: Optional[Host] = None) -> Context:
    scans = {key: scan_layer(built.path, cache, built.content_key)
             for key, built in sorted(inputs.layers.items())}
    code_sizes = {fn_id: folder_size(Path(path)) for fn_id, path in inputs.code_dirs.items()}
    return Context(inputs, scans, code_sizes, cache, skip_import, find_python,
                   host if host is not None else Host.current())
