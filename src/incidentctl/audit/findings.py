"""What ``incidentctl audit`` reports: findings, each with a level, a code and its commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")

# Every code audit can report, in the order the report lists them within a level.
CODES: tuple[str, ...] = (
    "shallow-clone",
    "history-rewritten",
    "sla-figures-changed",
    "clamped-commit",
    "closed-immutable",
    "evidence-removed",
    "id-reused",
    "status-transition",
    "unmerged-change",
    "unsigned-commit",
    "declared-time-gap",
    "policy-regrade",
    "imported-record",
    "checkpoint-fast-forward",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the history says that an auditor should see.

    ``documents`` names the incidents (by id) and other documents (``SLAPolicy/gold``,
    ``Calendar/emea``, ``RCA/INC-2026-0042``) it concerns; ``commits`` the full shas it
    is about, most relevant first; ``details`` holds the same facts for machines.
    """

    level: Level
    code: str
    message: str
    documents: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    require_signed: bool = False
    require_merges: bool = False
    max_declared_gap: timedelta = timedelta(hours=24)
    # The bot whose write-backs (tracker fields only, with trailers) may be pushed directly.
    bot_login: str = "github-actions[bot]"


@dataclass
class AuditReport:
    ref: str
    head: str | None
    as_of: datetime
    commit_count: int
    options: Options
    findings: list[Finding]
    checkpoint_written: str | None = None

    def count(self, level: Level) -> int:
        return sum(f.level == level for f in self.findings)

    @property
    def failed(self) -> bool:
        return any(f.level == "error" for f in self.findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, then information; within a level, by code (stable)."""
    order = {code: n for n, code in enumerate(CODES)}
    return sorted(findings, key=lambda f: (LEVELS.index(f.level), order.get(f.code, len(order))))


def names(documents: Sequence[str], limit: int = 5) -> str:
    """Documents for a message: the first few, and how many more."""
    shown = ", ".join(documents[:limit])
    return shown if len(documents) <= limit else f"{shown} and {len(documents) - limit} more"
