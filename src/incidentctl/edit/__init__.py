"""Round-trip edits of documents that keep comments and layout.

``roundtrip`` holds the canonical layout (``make_yaml``, ``load``, ``dump``,
``timestamp``); ``layout`` formats whole files with it (``format_text``) and offers
``Edit``, the round trip for commands that change a document: ``Edit(text)``, change
``.tree``, ``.render()``. ``comments`` finds comments without ruamel.yaml, to prove
none was lost.
"""

from __future__ import annotations

from incidentctl.edit.layout import Edit, format_text
from incidentctl.edit.roundtrip import TimestampText, dump, load, make_yaml, timestamp

__all__ = ["Edit", "TimestampText", "dump", "format_text", "load", "make_yaml", "timestamp"]
