"""What ``--now`` is to the SLA.

An editing command dates what it writes (an update's ``at``, a note) with ``--now``,
but the SLA clocks count commits, not times typed into a file: under ``clock: landed``
the time the commit reaches the audited branch, under ``clock: authored`` the author
date of the commit that made the change. So ``--now`` counts only where the clock is
``authored`` and the command commits (``--commit`` dates the commit's author ``--now``);
anywhere else a person who gave ``--now`` is told what the SLA will count instead.

The policy whose clock counts is found as the SLA engine finds it: among the SLA
policies as they stood on the audited branch when the incident opened (at the
branch's tip for an incident not on it yet, in the work tree when there is no branch),
the first that applies to a version of the incident, the edited one last.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from incidentctl.edit.commands import Planned
from incidentctl.history.model import History
from incidentctl.load.document import parse_document
from incidentctl.load.repository import Repository
from incidentctl.model import Incident, Service, SLAPolicy
from incidentctl.model.policy import applicable
from incidentctl.model.types import iso


def judging_policy(
    history: History | None,
    edited: Incident,
    work_tree: Callable[[], tuple[list[SLAPolicy], dict[str, Service]]],
) -> SLAPolicy | None:
    """The SLA policy whose clock counts the edit that makes ``edited``; None if none.

    ``work_tree`` gives the policies and the catalogue of the work tree, used only
    without a branch."""
    latest = (edited.customer, edited.environment, list(edited.services), edited.severity)
    if history is None:
        policies, catalogue = work_tree()
        return applicable(policies, *latest, catalogue=catalogue)
    timeline = history.incidents.get(edited.id)
    states = [] if timeline is None else [(s, st) for s, st in timeline.states if st is not None]
    opened = states[0][0].seq if states else history.commit_count
    policies, _ = history.policies_at(opened)
    catalogue = history.catalogue_at(opened)
    versions = [(s.customer, s.environment, list(s.services), s.severity) for _, s in states]
    for customer, environment, services, severity in [*versions, latest]:
        policy = applicable(policies, customer, environment, services, severity, catalogue)
        if policy is not None:
            return policy
    return None


def policy_of_edit(root: Path, planned: Planned, history: History | None) -> SLAPolicy | None:
    """``judging_policy`` of a planned edit of an incident under ``root``."""
    edited = parse_document(planned.display, planned.after.encode("utf-8")).model
    assert isinstance(edited, Incident)  # plan_edit checked it

    def work_tree() -> tuple[list[SLAPolicy], dict[str, Service]]:
        loaded = Repository(root).load([planned.path])
        return loaded.policies, loaded.services

    return judging_policy(history, edited, work_tree)


def author_date(policy: SLAPolicy | None, now: datetime) -> datetime | None:
    """The author date the edit's commit needs: ``now`` where the clock is authored."""
    return now if policy is not None and policy.clock == "authored" else None


def now_notice(
    incident_id: str, policy: SLAPolicy | None, now: datetime, *, commit: bool, branch: str
) -> str | None:
    """What to tell a person who gave ``--now``; None where ``--now`` is what counts
    (or where no SLA counts anything)."""
    if policy is None:
        return None
    given = f"--now {iso(now)}"
    if policy.clock == "landed":
        return (
            f"incidentctl: {incident_id}: the SLA will count the time this change lands on "
            f"{branch}, not {given}: SLA policy {policy.name} has clock: landed"
        )
    if not commit:
        return (
            f"incidentctl: {incident_id}: the SLA will count the author date of the commit "
            f"that records this change, not {given} (SLA policy {policy.name} has clock: "
            "authored): add --commit to date that commit --now"
        )
    return None
