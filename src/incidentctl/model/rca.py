"""The RCA document (SPEC §2)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from incidentctl.model.base import Document, Strict
from incidentctl.model.incident import IncidentId, Text, TrackerRef
from incidentctl.model.types import Date, Handle, Paragraphs, TicketTitle, Timestamp


class Impact(Strict):
    description: str = ""
    customers: int | None = Field(default=None, ge=0)
    transactions: int | None = Field(default=None, ge=0)
    money: str | None = None
    duration: str | None = None


class RootCause(Strict):
    category: Literal["code", "config", "capacity", "third-party", "infrastructure", "process"]
    description: Text


class RCADetection(Strict):
    how: str = ""
    why_not_earlier: str = ""


class Lessons(Strict):
    went_well: list[Text] = Field(default=[])
    went_wrong: list[Text] = Field(default=[])
    got_lucky: list[Text] = Field(default=[])


class Action(Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    title: TicketTitle
    type: Literal["detect", "prevent", "mitigate", "process", "fix"]
    owner: Handle | None = None
    due: Date | None = None
    status: Literal["open", "done", "wont-do"] = "open"
    tracker: TrackerRef | None = None


class FollowUp(Strict):
    """The review, two to four weeks after publication, of whether the actions worked."""

    held_at: Timestamp | None = None
    notes: str = ""


class RCA(Document):
    kind: Literal["RCA"]
    incident: IncidentId | None = None
    incidents: list[IncidentId] | None = None
    status: Literal["draft", "in-review", "published"]
    owner: Handle | None = None
    facilitator: Handle | None = None
    meeting_at: Timestamp | None = None
    # When the report was published; used only by imported records (SPEC §3).
    published_at: Timestamp | None = None
    shared_with_customer_at: Timestamp | None = None
    summary: Paragraphs = ""
    impact: Impact = Impact()
    trigger: str = ""
    root_causes: list[RootCause] = Field(default=[])
    contributing_factors: list[Text] = Field(default=[])
    detection: RCADetection = RCADetection()
    resolution: str = ""
    lessons: Lessons = Lessons()
    actions: list[Action] = Field(default=[])
    follow_up_at: Date | None = None  # when the follow-up review is planned
    follow_up: FollowUp = FollowUp()

    @field_validator("follow_up", mode="before")
    @classmethod
    def _follow_up_is_the_review(cls, value: Any) -> Any:
        if value is None:
            return {}  # `follow_up:` with nothing under it: not held yet
        if isinstance(value, str | date | datetime):
            raise ValueError(
                "follow_up records the review once held, as held_at (and notes); "
                "the date it is planned for goes in follow_up_at"
            )
        return value

    @model_validator(mode="after")
    def _names_incidents(self) -> RCA:
        if not self.incident_ids:
            raise ValueError("an RCA names its incident (incident: INC-...) or incidents")
        return self

    @property
    def incident_ids(self) -> list[str]:
        return [*([self.incident] if self.incident else []), *(self.incidents or [])]
