"""What a ticket's state changes in the file: the pure mapping of the way back."""

from __future__ import annotations

from datetime import date

import pytest

from incidentctl.defects.plan import Source
from incidentctl.defects.readback import changes, message
from incidentctl.trackers import TicketState

PATH = "incidents/2026/INC-2026-0042.yaml"


def action(status: str = "open", due: date | None = None) -> Source:
    return Source("action", "INC-2026-0042", "A1", "Cap retries", "payments", PATH, 0,
                  "jira:PAY-2", due=due, status=status)  # fmt: skip


def defect(fixed_in: str | None = None, final: bool = False) -> Source:
    return Source("defect", "INC-2026-0042", "gw", "Gateway drops", "payments", PATH, 0,
                  "github:acme/portal#1", final=final, fixed_in=fixed_in)  # fmt: skip


@pytest.mark.parametrize(
    ("status", "state", "wanted"),
    [
        ("open", TicketState("jira:PAY-2", closed=True, done=True), "done"),
        ("open", TicketState("jira:PAY-2", closed=True, done=False), "wont-do"),
        ("done", TicketState("jira:PAY-2", closed=False, done=False), "open"),
        ("wont-do", TicketState("jira:PAY-2", closed=True, done=True), "done"),
    ],
)
def test_an_action_follows_its_ticket(status: str, state: TicketState, wanted: str) -> None:
    [change] = changes(action(status), state)
    assert (change.field, change.value) == ("status", wanted)


def test_an_action_in_step_with_its_ticket_changes_nothing() -> None:
    assert changes(action("done"), TicketState("jira:PAY-2", closed=True, done=True)) == []
    state = TicketState("jira:PAY-2", closed=False, done=False, due=date(2026, 4, 1))
    assert changes(action(due=date(2026, 4, 1)), state) == []


def test_a_due_date_moved_in_the_tracker_moves_the_action() -> None:
    state = TicketState("jira:PAY-2", closed=False, done=False, due=date(2026, 4, 15))
    [change] = changes(action(due=date(2026, 4, 1)), state)
    assert (change.field, change.value) == ("due", "2026-04-15")


def test_a_defect_records_its_release_and_loses_it_when_reopened() -> None:
    done = TicketState("github:acme/portal#1", closed=True, done=True, release="v7.3")
    [fixed] = changes(defect(), done)
    assert (fixed.field, fixed.value, fixed.says) == ("fixed_in", "v7.3", "fixed in v7.3")
    reopened = TicketState("github:acme/portal#1", closed=False, done=False)
    [undone] = changes(defect("v7.3"), reopened)
    assert (undone.field, undone.value) == ("fixed_in", None)
    not_planned = TicketState("github:acme/portal#1", closed=True, done=False, release="v7.3")
    assert changes(defect(), not_planned) == []  # closed as not planned: fixed in nothing


def test_a_closed_incidents_defects_are_not_edited() -> None:
    done = TicketState("github:acme/portal#1", closed=True, done=True, release="v7.3")
    assert changes(defect(final=True), done) == []


def test_one_message_for_every_change_with_trailers() -> None:
    found = [
        *changes(action(), TicketState("jira:PAY-2", closed=True, done=True)),
        *changes(defect(), TicketState("github:acme/portal#1", True, True, "v7.3")),
    ]
    text = message(found)
    subject, body, trailers = text.rstrip("\n").split("\n\n")
    assert subject == "INC-2026-0042: tracker state read back"
    assert body.splitlines() == [
        "- INC-2026-0042 action A1: done (jira:PAY-2)",
        "- INC-2026-0042 defect gw: fixed in v7.3 (github:acme/portal#1)",
    ]
    assert trailers.splitlines() == [
        "Incident: INC-2026-0042",
        "Tracker: github:acme/portal#1",
        "Tracker: jira:PAY-2",
        "Tracker-Sync: read-back",
    ]
