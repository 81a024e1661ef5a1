"""The Jira creates of a clone, journalled in its Git folder (``jira-created.json``).

Jira's search index is eventually consistent: an issue created a moment ago may not
match a JQL search yet. The journal keeps what a search cannot be trusted to show:
the ids this clone created (passed as ``reconcileIssues``, which Jira checks with
read-after-write consistency) and the creates sent whose answer never came.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path

from incidentctl.fsutil import atomic_write

JOURNAL = Path("incidentctl") / "jira-created.json"


class Journal:
    """The Jira creates of this clone, by marker label, kept in the Git folder.

    ``ids``: the issues it created. Jira's search index may not show an issue created
    a moment ago; passing these ids as ``reconcileIssues`` makes the search see them.
    ``pending``: when a create was sent whose answer has not arrived (yet). It is
    written before the request, so a run killed after Jira made the issue but before
    the answer came leaves it behind; the next run then waits until the index must
    show that issue before it creates another.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.ids: dict[str, list[int]] = {}
        self.pending: dict[str, datetime] = {}
        loaded: object = {}
        if path is not None and path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}
        if not isinstance(loaded, dict):
            return
        created = loaded.get("created", {}) if "created" in loaded else loaded
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            self.ids = {str(k): [int(i) for i in v] for k, v in created.items() if k != "pending"}
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            self.pending = {
                str(k): datetime.fromisoformat(str(v)) for k, v in loaded.get("pending", {}).items()
            }

    def add(self, label: str, issue_id: str) -> None:
        self.pending.pop(label, None)
        if issue_id.isdigit():
            self.ids.setdefault(label, []).append(int(issue_id))
        self._save()

    def begin(self, label: str, at: datetime) -> None:
        """A create is about to be sent: saved before it is."""
        self.pending[label] = at
        self._save()

    def settle(self, label: str) -> None:
        """The pending create of ``label`` is accounted for (found, or known not made)."""
        if self.pending.pop(label, None) is not None:
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        data = {
            "created": self.ids,
            "pending": {k: v.isoformat() for k, v in sorted(self.pending.items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
