"""Round-trip edits of documents that keep comments and layout.

``roundtrip`` holds the canonical layout (``load``, ``dump``, ``make_yaml``,
``timestamp``); ``layout`` formats whole files with it (``format_text``).
"""

from __future__ import annotations

from incidentctl.edit.roundtrip import Timestamp, dump, load, make_yaml, timestamp

__all__ = ["Timestamp", "dump", "load", "make_yaml", "timestamp"]
