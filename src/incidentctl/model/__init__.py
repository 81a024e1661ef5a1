"""Pydantic models of the five document kinds."""

from __future__ import annotations

from incidentctl.model.base import Document
from incidentctl.model.defects import DefectPolicy
from incidentctl.model.incident import Incident
from incidentctl.model.policy import Calendar, SLAPolicy
from incidentctl.model.rca import RCA

MODEL_BY_KIND: dict[str, type[Document]] = {
    "Incident": Incident,
    "RCA": RCA,
    "SLAPolicy": SLAPolicy,
    "Calendar": Calendar,
    "DefectPolicy": DefectPolicy,
}
KINDS: tuple[str, ...] = tuple(MODEL_BY_KIND)

__all__ = [
    "KINDS",
    "MODEL_BY_KIND",
    "RCA",
    "Calendar",
    "DefectPolicy",
    "Document",
    "Incident",
    "SLAPolicy",
]
