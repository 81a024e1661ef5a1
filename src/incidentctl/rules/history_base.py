"""What history rules share: the state of an incident on the audited branch."""

from __future__ import annotations

from incidentctl.history.model import History, IncidentState
from incidentctl.rules.base import Context


def branch_state(context: Context, incident_id: str) -> tuple[str, IncidentState] | None:
    """The incident's latest state on the audited branch, if it exists there now."""
    history: History = context.history
    timeline = history.incidents.get(incident_id)
    if timeline is None or not timeline.states:
        return None
    state = timeline.states[-1][1]
    return (history.ref, state) if state is not None else None
