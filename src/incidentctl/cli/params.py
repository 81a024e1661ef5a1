"""Parameter types for what people type: incident ids and severities, completed too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.shell_completion import CompletionItem

from incidentctl.suggest import did_you_mean  # difflib only: fine for --help


def _root(ctx: click.Context | None) -> Path:
    from incidentctl.fsutil import find_root

    top = ctx.find_root() if ctx is not None else None
    if top is not None and isinstance(top.obj, Path):
        return top.obj
    given = top.params.get("root") if top is not None else None
    return find_root(given if isinstance(given, Path) else Path.cwd())


class IncidentId(click.ParamType):  # type: ignore[type-arg]
    """``7``, ``0007``, ``2026-7`` or ``inc-2026-0007``: the full id, if unambiguous."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from incidentctl.ids import resolve_id, work_tree_ids
        from incidentctl.problems import UsageError

        try:
            return resolve_id(str(value), work_tree_ids(_root(ctx)))
        except UsageError as error:
            self.fail(str(error), param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        from incidentctl.ids import work_tree_ids

        typed = incomplete.upper()
        ids = work_tree_ids(_root(ctx))
        return [CompletionItem(i) for i in reversed(ids) if i.startswith(typed) or typed in i]


class SeverityLevel(click.ParamType):  # type: ignore[type-arg]
    """A severity in any case (``sev2``, ``Sev2``, ``SEV2``), written upper case."""

    name = "SEVERITY"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from incidentctl.model.types import SEVERITIES  # the models: not for --help

        text = str(value).strip().upper()
        if text in SEVERITIES:
            return text
        self.fail(
            f"{value!r} is not one of {', '.join(SEVERITIES)}"
            + did_you_mean(text, list(SEVERITIES)),
            param,
            ctx,
        )

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        from incidentctl.model.types import SEVERITIES

        typed = incomplete.upper()
        return [CompletionItem(s) for s in SEVERITIES if s.startswith(typed)]


INCIDENT_ID = IncidentId()
SEVERITY = SeverityLevel()
