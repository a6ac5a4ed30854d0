"""Errors and problems: what went wrong, where, and what to do about it.

User mistakes are collected as :class:`Problem` objects and raised together in one
:class:`BadInput`, so a user with three mistakes hears about all three. The CLI maps
``BadInput`` to exit code 2 and prints one line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence, Union


@dataclass(frozen=True)
class Problem:
    """One user-facing problem: a message, and where it is (file, line, resource or group)."""

    message: str
    file: Optional[str] = None
    line: Optional[int] = None
    where: Optional[str] = None

    def __str__(self) -> str:
        head = ""
        if self.file:
            head = self.file + (f":{self.line}" if self.line else "") + ": "
        if self.where:
            head += self.where + ": "
        return head + self.message


class SamLayersError(Exception):
    """Base class of every error sam-layers raises on purpose."""


class BadInput(SamLayersError):
    """The template, the config or the command line is wrong (exit code 2)."""

    def __init__(self, problems: Union[str, Problem, Sequence[Problem]]) -> None:
        if isinstance(problems, str):
            items: tuple[Problem, ...] = (Problem(problems),)
        elif isinstance(problems, Problem):
            items = (problems,)
        else:
            items = tuple(problems)
        self.problems = items
        super().__init__("\n".join(str(p) for p in items))


class ToolError(SamLayersError):
    """A tool sam-layers drives (uv, pip, sam, AWS) failed; exit code 1 unless it says otherwise."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        self.exit_code = exit_code
        super().__init__(message)


def raise_if(problems: Iterable[Problem]) -> None:
    items = list(problems)
    if items:
        raise BadInput(items)
