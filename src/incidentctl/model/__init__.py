"""Pydantic models of the document kinds."""

from __future__ import annotations

from incidentctl.model.base import Document
from incidentctl.model.catalogue import Customer, Service
from incidentctl.model.config import Config
from incidentctl.model.defects import DefectPolicy
from incidentctl.model.incident import Incident
from incidentctl.model.notify import NotificationPolicy
from incidentctl.model.policy import Calendar, SLAPolicy
from incidentctl.model.rca import RCA

MODEL_BY_KIND: dict[str, type[Document]] = {
    "Incident": Incident,
    "RCA": RCA,
    "SLAPolicy": SLAPolicy,
    "Calendar": Calendar,
    "DefectPolicy": DefectPolicy,
    "Config": Config,
    "Service": Service,
    "Customer": Customer,
    "NotificationPolicy": NotificationPolicy,
}
KINDS: tuple[str, ...] = tuple(MODEL_BY_KIND)
# The kinds of the files under incidents/ and policies/; a Config is incidentctl.yaml only.
DOCUMENT_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != "Config")
CONFIG_FILE = "incidentctl.yaml"

__all__ = [
    "CONFIG_FILE",
    "DOCUMENT_KINDS",
    "KINDS",
    "MODEL_BY_KIND",
    "RCA",
    "Calendar",
    "Config",
    "Customer",
    "DefectPolicy",
    "Document",
    "Incident",
    "NotificationPolicy",
    "SLAPolicy",
    "Service",
]
