"""The base of every document model: strict, unknown keys refused."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from incidentctl.model.types import API_VERSION


class Strict(BaseModel):
    """Every mapping in a document: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False, defer_build=True)


class Document(Strict):
    """A whole file: headed by ``apiVersion`` and ``kind``."""

    api_version: Literal["incidentctl/v1"] = Field(alias="apiVersion")

    model_config = ConfigDict(populate_by_name=True)


__all__ = ["API_VERSION", "Document", "Strict"]
