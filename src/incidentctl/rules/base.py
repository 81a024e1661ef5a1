"""What a validation rule is, and what it is given to look at."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incidentctl.load.repository import Workspace
from incidentctl.problems import Level, Problem


@dataclass(frozen=True)
class Context:
    """Everything a rule may look at.

    ``history`` is the replayed history of the audited branch when the caller has one
    (history rules need it and are skipped without it); ``now`` is the instant that
    "not in the future" is judged against, chosen by the CLI. ``environ`` is the
    environment that secrets are looked up in, when the caller asks for them to be
    checked (None: they are not).
    """

    workspace: Workspace
    now: datetime | None = None
    history: Any = None
    environ: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Rule:
    """A rule: an id (also its module's name), a level, and a generator of problems.

    The module's docstring documents it, with a passing and a failing example.
    """

    id: str
    level: Level
    summary: str
    check: Callable[[Context, Rule], Iterable[Problem]]
    needs_history: bool = False

    def run(self, context: Context) -> Iterable[Problem]:
        if self.needs_history and context.history is None:
            return ()
        return self.check(context, self)
