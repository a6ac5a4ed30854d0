"""The unit everything after the plan works on: one layer variant's build inputs.

A :class:`LayerSpec` is (group, runtime, architecture) plus the group's requirement strings,
already expanded from their source (inline ``Packages``, a PEP 735 group, a requirements file).
It is what the transform writes into a layer's build folder (``layer.json``), what the lock
resolves, and what the builder installs, so a build folder copied elsewhere by ``sam build``
still holds everything needed to build it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from sam_layers.platforms import Target

SPEC_FILE = "layer.json"


@dataclass(frozen=True)
class LayerSpec:
    group: str
    target: Target
    requirements: tuple[str, ...]
    logical_id: str = ""
    # Distribution names the group names itself; these are kept even when the runtime
    # already provides them (boto3 pinned on purpose, say).
    explicit: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        """The variant's name in the lock file: ``Data/python3.12/x86_64``."""
        return f"{self.group}/{self.target.runtime}/{self.target.architecture}"

    @property
    def input_hash(self) -> str:
        """Hash of everything the user wrote that shapes this variant (not the group's name)."""
        payload = json.dumps(
            {
                "requirements": list(self.requirements),
                "runtime": self.target.runtime,
                "architecture": self.target.architecture,
            },
            sort_keys=True,
        )
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "logical_id": self.logical_id,
            "runtime": self.target.runtime,
            "architecture": self.target.architecture,
            "requirements": list(self.requirements),
            "explicit": sorted(self.explicit),
            "input_hash": self.input_hash,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "LayerSpec":
        return cls(
            group=str(data["group"]),
            target=Target(str(data["runtime"]), str(data["architecture"])),
            requirements=tuple(str(r) for r in data["requirements"]),
            logical_id=str(data.get("logical_id", "")),
            explicit=frozenset(str(n) for n in data.get("explicit", ())),
        )
