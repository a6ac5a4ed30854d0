"""Findings: what ``sam-layers verify`` reports, one per problem, each with a rule id and a place.

A finding is returned, never raised: the verifier collects every finding at once so a user
with three broken layers hears about all three. The CLI decides the exit code (1 on any error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    """One problem found by one rule.

    ``location`` says where: ``Resources/ApiFunction/Layers`` for a function's layer list, or
    ``DataLayer:python/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so`` for a
    file inside a built layer. ``message`` says what is wrong and what to do about it.
    """

    id: str
    severity: Severity
    location: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "location": self.location,
                "message": self.message}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Finding":
        for severity in SEVERITIES:
            if severity == data["severity"]:
                return cls(str(data["id"]), severity, str(data["location"]), str(data["message"]))
        raise ValueError(f"unknown severity {data['severity']!r}")

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        return (_RANK[self.severity], self.id, self.location, self.message)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by rule id, location and message: the same input gives the same order."""
    return sorted(set(findings), key=lambda f: f.sort_key)


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
