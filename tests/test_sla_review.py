"""Review of the SLA engine: cases where it differed from SPEC §3/§4 or docs/decisions.md.

Hand-made histories in the style of tests/test_sla_vectors.py, and one real repository
for the settled-results cache.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitrepo import Commit, build_repo, incident_yaml, sla_policy_yaml
from incidentctl.history.model import CustomerUpdate, RcaState, Stamp
from incidentctl.model import SLAPolicy
from incidentctl.sla.engine import evaluate
from test_sla_vectors import BASE, POLICY, at, history, metric

if TYPE_CHECKING:
    from conftest import RunCli

FIRST_UPDATE = SLAPolicy.model_validate(
    {
        "apiVersion": "incidentctl/v1",
        "kind": "SLAPolicy",
        "name": "first-update",
        "targets": {"SEV1": {"first_update": "30m", "update_every": "15m"}},
    }
)


def test_an_incident_deleted_and_recreated_later_is_judged_as_it_stood_at_as_of() -> None:
    h = history(("10:00", {}), ("10:02", {"status": "acknowledged"}))
    timeline = h.incidents[BASE.id]
    deleted = Stamp(3, "d" * 40, at("12:00"), at("12:00"), "Dana <dana@example.com>", at("12:00"))
    again = Stamp(4, "e" * 40, at("13:00"), at("13:00"), "Dana <dana@example.com>", at("13:00"))
    timeline.states.extend([(deleted, None), (again, replace(BASE, title="Another outage"))])
    board = evaluate(h, at("11:00"))
    assert [i.title for i in board.incidents] == ["Checkout fails"]
    ack = next(m for m in board.incidents[0].metrics if m.metric == "acknowledge")
    assert (ack.state, ack.elapsed) == ("met", timedelta(minutes=2))


def test_editing_the_text_of_a_customer_update_is_not_a_new_update() -> None:
    typo = (CustomerUpdate(at("10:10"), "Investigatng"),)
    fixed = (CustomerUpdate(at("10:10"), "Investigating"),)
    h = history(
        ("10:00", {}),
        ("10:10", {"customer_updates": typo}),
        ("10:20", {"customer_updates": fixed}),
        ("10:35", {"customer_updates": (*fixed, CustomerUpdate(at("10:35"), "Fix deploying"))}),
    )
    m = metric(h, "update_every", "10:40")
    assert [(c.started_at, c.stopped_at) for c in m.cycles] == [
        (at("10:00"), at("10:10")),
        (at("10:10"), at("10:35")),  # the typo fix at 10:20 told the customer nothing
        (at("10:35"), None),
    ]
    assert m.state == "missed"


def test_cancelling_stops_the_first_update_clock() -> None:
    h = history(("10:00", {}), ("10:10", {"status": "cancelled"}), policy=FIRST_UPDATE)
    m = metric(h, "first_update", "2026-11-17T10:00")
    assert (m.state, m.elapsed) == ("met", timedelta(minutes=10))
    assert m.cycles[0].stopped_at == at("10:10")


def test_resolving_without_a_customer_update_stops_the_first_update_clock() -> None:
    h = history(("10:00", {}), ("11:00", {"status": "resolved"}), policy=FIRST_UPDATE)
    m = metric(h, "first_update", "2026-11-17T10:00")
    assert (m.state, m.elapsed, m.breached_at) == ("missed", timedelta(hours=1), at("10:30"))


def test_an_rca_authored_before_as_of_but_landed_after_it_is_not_known_yet() -> None:
    authored = SLAPolicy.model_validate({**POLICY.model_dump(mode="json"), "clock": "authored"})
    h = history(("10:00", {}), ("11:00", {"status": "resolved"}), policy=authored)
    # the RCA was written on a branch on Tuesday and merged on Friday
    stamp = Stamp(
        100,
        "a" * 40,
        at("2026-11-20T12:00"),
        at("2026-11-17T09:00"),
        "Ada <ada@example.com>",
        at("2026-11-20T12:00"),
    )
    h.rcas[BASE.id] = [(stamp, RcaState((BASE.id,), "published", at("2026-11-17T08:00")))]
    wednesday = metric(h, "rca", "2026-11-18T12:00")
    assert (wednesday.state, wednesday.cycles[0].stopped_at) == ("at_risk", None)
    saturday = metric(h, "rca", "2026-11-21T12:00")
    # Its Tuesday author date would meet the 72 h target, but the breach on Thursday was
    # on record before it landed: it counts when it landed, and the breach stays.
    assert (saturday.state, saturday.cycles[0].stopped_at) == ("missed", at("2026-11-20T12:00"))
    assert saturday.breached_at == at("2026-11-19T11:00")
    # merged on Wednesday instead, before the deadline: the Tuesday author date counts
    h.rcas[BASE.id] = [
        (replace(stamp, landed_at=at("2026-11-18T12:00")), RcaState((BASE.id,), "published", None))
    ]
    early = metric(h, "rca", "2026-11-21T12:00")
    assert (early.state, early.cycles[0].stopped_at) == ("met", at("2026-11-17T09:00"))


INC = "incidents/2026/INC-2026-0001.yaml"
POLICY_PATH = "policies/sla/gold.yaml"


def _sla(run_cli: RunCli, path: Path, when: str) -> dict[str, Any]:
    result = run_cli(["-C", path, "sla", "--format", "json", "--at", when])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_settled_figures_are_not_reused_past_a_change_that_landed_after_them(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T09:00:00Z", files={POLICY_PATH: sla_policy_yaml("gold")}),
            Commit("2026-11-16T10:00:00Z", files={INC: incident_yaml(severity="SEV1")}),
            Commit(
                "2026-11-16T10:04:00Z",
                files={INC: incident_yaml(severity="SEV1", status="resolved")},
            ),
            Commit("2026-11-16T10:30:00Z", files={INC: incident_yaml(severity="SEV1")}),
        ],
    )
    early = _sla(run_cli, repo.path, "2026-11-16T10:10:00Z")
    assert early["incidents"][0]["status"] == "resolved"  # settled as of 10:10
    later = _sla(run_cli, repo.path, "2026-11-16T11:00:00Z")
    assert later["incidents"][0]["status"] == "open"  # reopened at 10:30
    resolve = next(m for m in later["incidents"][0]["metrics"] if m["metric"] == "resolve")
    assert len(resolve["cycles"]) == 2


def test_a_postmortem_meeting_scheduled_later_stops_the_clock_when_it_is_held() -> None:
    h = history(
        ("10:00", {}),
        ("11:00", {"status": "resolved"}),
        # recorded on Tuesday for a meeting on Friday, past the 48h target
        rca=[("2026-11-17T09:00", RcaState((BASE.id,), "draft", at("2026-11-20T09:00")))],
    )
    before = metric(h, "postmortem", "2026-11-18T09:00")
    assert (before.state, before.cycles[0].stopped_at) == ("at_risk", None)
    after = metric(h, "postmortem", "2026-11-21T00:00")
    assert (after.state, after.breached_at) == ("missed", at("2026-11-18T11:00"))
    assert after.evidence[-1].evidence.field == "meeting_at"
