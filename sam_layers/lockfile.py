"""``sam-layers.lock``: the resolved, hashed packages of every layer variant.

TOML, one table per variant under ``[variants."<Group>/<runtime>/<arch>"]``, its packages in
the shape of PEP 751's ``pylock.toml`` (``name``, ``version``, ``wheels`` with ``url``, ``name``,
``size`` and ``hashes``; ``sdist`` for a pure-Python package built on the host). Each variant
records the ``input-hash`` of the :class:`~sam_layers.spec.LayerSpec` it was resolved from, so
a variant is stale exactly when that hash differs or the variant is missing.

The writer is small and deterministic (sorted keys, one package per table, fixed layout) so
the file diffs well and rewriting an unchanged lock changes no byte.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from sam_layers._compat import tomllib
from sam_layers.errors import BadInput, Problem
from sam_layers.fsutil import atomic_write
from sam_layers.spec import LayerSpec

LOCK_FILE = "sam-layers.lock"
LOCK_VERSION = "1"


@dataclass(frozen=True)
class LockedFile:
    """One distribution file (a wheel or an sdist) with its hash."""

    name: str  # file name: numpy-2.3.1-cp312-cp312-manylinux_2_28_x86_64.whl
    url: str
    sha256: str
    size: Optional[int] = None

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "url": self.url}
        if self.size is not None:
            out["size"] = self.size
        out["hashes"] = {"sha256": self.sha256}
        return out

    @classmethod
    def from_toml(cls, data: Mapping[str, Any]) -> "LockedFile":
        url = str(data.get("url", ""))
        name = str(data.get("name") or url.rsplit("/", 1)[-1])
        size = data.get("size")
        return cls(name=name, url=url, sha256=str(data["hashes"]["sha256"]),
                   size=int(size) if size is not None else None)


@dataclass(frozen=True)
class LockedPackage:
    name: str
    version: str
    wheels: tuple[LockedFile, ...] = ()
    sdist: Optional[LockedFile] = None

    @property
    def built_on_host(self) -> bool:
        """A pure-Python package that has no wheel: its sdist is built into a py3-none-any wheel."""
        return not self.wheels and self.sdist is not None

    @property
    def hashes(self) -> tuple[str, ...]:
        files = self.wheels if self.wheels else ((self.sdist,) if self.sdist else ())
        return tuple(sorted(f.sha256 for f in files))

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.sdist is not None:
            out["sdist"] = self.sdist.to_toml()
        if self.wheels:
            out["wheels"] = [w.to_toml() for w in sorted(self.wheels, key=lambda w: w.name)]
        return out

    @classmethod
    def from_toml(cls, data: Mapping[str, Any]) -> "LockedPackage":
        sdist = data.get("sdist")
        return cls(
            name=str(data["name"]),
            version=str(data["version"]),
            wheels=tuple(LockedFile.from_toml(w) for w in data.get("wheels", ())),
            sdist=LockedFile.from_toml(sdist) if sdist else None,
        )


@dataclass(frozen=True)
class LockedVariant:
    """The locked packages of one layer variant (``LayerSpec.key``)."""

    key: str
    runtime: str
    architecture: str
    input_hash: str
    requirements: tuple[str, ...] = ()
    packages: tuple[LockedPackage, ...] = ()

    @property
    def digest(self) -> str:
        """Short stable hash of the locked pins and target: the template's ``Lock:`` value."""
        payload = json.dumps(
            {
                "runtime": self.runtime,
                "architecture": self.architecture,
                "packages": [[p.name, p.version, list(p.hashes)] for p in self.sorted_packages],
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    @property
    def sorted_packages(self) -> tuple[LockedPackage, ...]:
        return tuple(sorted(self.packages, key=lambda p: p.name.lower()))

    def pins(self) -> list[str]:
        return [f"{p.name}=={p.version}" for p in self.sorted_packages]

    def to_toml(self) -> dict[str, Any]:
        return {
            "runtime": self.runtime,
            "architecture": self.architecture,
            "input-hash": self.input_hash,
            "requirements": list(self.requirements),
            "packages": [p.to_toml() for p in self.sorted_packages],
        }

    @classmethod
    def from_toml(cls, key: str, data: Mapping[str, Any]) -> "LockedVariant":
        return cls(
            key=key,
            runtime=str(data["runtime"]),
            architecture=str(data["architecture"]),
            input_hash=str(data["input-hash"]),
            requirements=tuple(str(r) for r in data.get("requirements", ())),
            packages=tuple(LockedPackage.from_toml(p) for p in data.get("packages", ())),
        )

    def to_json(self) -> dict[str, Any]:
        """The form the build folder's ``layer.json`` carries under ``"locked"``."""
        return {"key": self.key, **self.to_toml()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "LockedVariant":
        return cls.from_toml(str(data["key"]), data)


@dataclass(frozen=True)
class LockFile:
    variants: Mapping[str, LockedVariant] = field(default_factory=dict)

    def get(self, key: str) -> Optional[LockedVariant]:
        return self.variants.get(key)

    def with_variants(self, variants: Iterable[LockedVariant]) -> "LockFile":
        merged = dict(self.variants)
        merged.update((v.key, v) for v in variants)
        return replace(self, variants=merged)

    def only(self, keys: Iterable[str]) -> "LockFile":
        wanted = set(keys)
        return replace(self, variants={k: v for k, v in self.variants.items() if k in wanted})


def stale_keys(lock: Optional[LockFile], specs: Sequence[LayerSpec]) -> list[str]:
    """Keys of the specs whose variant is missing from the lock or was locked from other inputs."""
    stale: list[str] = []
    for spec in specs:
        locked = lock.get(spec.key) if lock is not None else None
        if locked is None or locked.input_hash != spec.input_hash:
            stale.append(spec.key)
    return sorted(set(stale))


def requirements_txt(locked: LockedVariant) -> str:
    """The locked pins with their hashes, in pip's requirements format (SAM's container build)."""
    lines = [f"# sam-layers {locked.key} (lock {locked.digest}); generated, do not edit"]
    for pkg in locked.sorted_packages:
        lines.append(f"{pkg.name}=={pkg.version}" + "".join(
            f" \\\n    --hash=sha256:{h}" for h in pkg.hashes))
    return "\n".join(lines) + "\n"


# --- reading ---------------------------------------------------------------------------------

def read_lock(path: Path) -> LockFile:
    """Read ``sam-layers.lock``; a missing file is an empty lock, a broken one is BadInput."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LockFile()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(Problem(f"not a valid lock file ({exc}); delete it and run "
                               "`sam-layers lock` to write a new one", file=str(path))) from exc
    version = str(data.get("lock-version", ""))
    if version != LOCK_VERSION:
        raise BadInput(Problem(f"lock-version {version!r} is not {LOCK_VERSION!r}; run "
                               "`sam-layers lock` to rewrite it", file=str(path)))
    variants: dict[str, LockedVariant] = {}
    try:
        for key, body in dict(data.get("variants", {})).items():
            variants[key] = LockedVariant.from_toml(key, body)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput(Problem(f"malformed lock entry ({exc!r}); run `sam-layers lock` "
                               "to rewrite it", file=str(path))) from exc
    return LockFile(variants=variants)


# --- writing ---------------------------------------------------------------------------------

def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON string escapes are a subset of TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if all(isinstance(v, str) for v in value) and sum(len(v) for v in value) < 70:
            return "[" + ", ".join(_value(v) for v in value) + "]"
        return "[\n" + "".join(f"    {_value(v)},\n" for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to the lock file")


def _key(key: str) -> str:
    if key and all(c.isalnum() or c in "-_" for c in key) and key.isascii():
        return key
    return json.dumps(key)


def dumps_lock(lock: LockFile) -> str:
    out = [
        "# sam-layers.lock: the locked packages of every layer variant. Generated by",
        "# `sam-layers lock`; commit it, do not edit it by hand.",
        f'lock-version = "{LOCK_VERSION}"',
        'created-by = "sam-layers"',
    ]
    for key in sorted(lock.variants):
        body = lock.variants[key].to_toml()
        table = f"variants.{_key(key)}"
        out += ["", f"[{table}]"]
        out += [f"{_key(k)} = {_value(v)}" for k, v in body.items() if k != "packages"]
        for pkg in body["packages"]:
            out += ["", f"[[{table}.packages]]"]
            out += [f"{_key(k)} = {_value(v)}" for k, v in pkg.items()]
    return "\n".join(out) + "\n"


def write_lock(path: Path, lock: LockFile) -> None:
    """Write the lock atomically (temp file beside it, then ``os.replace``)."""
    atomic_write(path, dumps_lock(lock))



__all__ = [
    "LOCK_FILE", "LockFile", "LockedFile", "LockedPackage", "LockedVariant",
    "dumps_lock", "read_lock", "requirements_txt", "stale_keys", "write_lock",
]
