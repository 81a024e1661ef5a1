"""Problems found in documents, and the project's base exception."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """One finding, 1-based line and column, rendered ``path:line:col: level rule message``."""

    path: str
    line: int
    col: int
    level: Level
    rule: str
    message: str

    def render(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.level} {self.rule} {self.message}"


class IncidentctlError(Exception):
    """An error the user can act on. ``exit_code`` 1: problems found; 2: usage or environment."""

    exit_code = 2


class UsageError(IncidentctlError):
    exit_code = 2


class ProblemsFound(IncidentctlError):
    exit_code = 1
