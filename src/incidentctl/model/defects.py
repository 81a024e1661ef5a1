"""The DefectPolicy document (SPEC §2): where product defects go and when they are due."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from incidentctl.model.base import Document, Strict
from incidentctl.model.policy import Catalogued, Name, Selector, services_selected
from incidentctl.model.types import Date, Duration, Severity

Repo = Annotated[str, StringConstraints(pattern=r"^[\w.-]+/[\w.-]+$")]


class JiraTarget(Strict):
    project: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]*$")]
    issue_type: str = "Bug"


class Route(Strict):
    services: Selector | list[str]
    github: Repo | None = None
    jira: JiraTarget | None = None
    labels: list[str] = Field(default=[])

    @model_validator(mode="after")
    def _one_tracker(self) -> Route:
        if (self.github is None) == (self.jira is None):
            raise ValueError("a route sends defects to exactly one of github or jira")
        return self

    def matches(self, service: str, catalogue: Mapping[str, Catalogued] | None = None) -> bool:
        """Whether the defects of ``service`` take this route: named in the list (``*``
        for any), or selected by the selector's services, teams and tiers (read from
        ``catalogue``)."""
        if isinstance(self.services, list):
            return service in self.services or "*" in self.services
        chosen = self.services
        return services_selected(
            chosen.services, chosen.teams, chosen.tiers, [service], catalogue or {}
        )


class Hotfix(Strict):
    hotfix: Duration


class ReleaseTrain(Strict):
    first: Date
    every: Duration
    freeze: Duration


class DefectPolicy(Document):
    kind: Literal["DefectPolicy"]
    name: Name
    description: str = ""
    routes: Annotated[list[Route], Field(min_length=1)]
    fix: dict[Severity, Hotfix | Literal["next-release"]] = Field(default={})
    release_train: ReleaseTrain | None = None
