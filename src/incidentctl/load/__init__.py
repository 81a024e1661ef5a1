"""YAML with line info, discovery, and the repository of documents."""

from __future__ import annotations

from incidentctl.fsutil import find_root
from incidentctl.load.document import SourceDocument, parse_document
from incidentctl.load.repository import Repository, Workspace

__all__ = ["Repository", "SourceDocument", "Workspace", "find_root", "parse_document"]
