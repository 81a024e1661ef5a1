"""The SLA record nobody can erase: one test per way it could be erased or invented.

Each test is a small real repository on one day (2026-11-16, UTC, 24x7), an SLA
policy committed at 09:00 (SEV1 acknowledge 5m unless said otherwise), and what
``incidentctl sla --format json``, ``report --format json``, ``audit`` and ``rca
render`` say about it. The random histories of ``test_sla_properties.py`` check the
same invariant in general.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import (
    Commit,
    Merge,
    Repo,
    Revert,
    build_repo,
    incident_yaml,
    rca_yaml,
    sla_policy_yaml,
    update,
)

if TYPE_CHECKING:
    from conftest import RunCli

ID = "INC-2026-0001"
INC = f"incidents/2026/{ID}.yaml"
RCA = f"incidents/2026/{ID}.rca.yaml"
POLICY = "policies/gold.yaml"
ACK_5M = {"SEV1": {"acknowledge": "5m"}}


def t(hhmm: str, day: int = 0) -> str:
    """``2026-11-16T10:05:00Z``, ``day`` days later."""
    return f"2026-11-{16 + day:02d}T{hhmm}:00Z"


def sev1(**fields: Any) -> str:
    fields.setdefault("severity", "SEV1")
    return incident_yaml(ID, **fields)


def repository(tmp_path: Path, *steps: Any, targets: Any = None, **policy: Any) -> Repo:
    """The policy at 09:00, then ``steps``."""
    text = sla_policy_yaml("gold", targets=targets or ACK_5M, **policy)
    return build_repo(tmp_path / "repo", [Commit(t("09:00"), files={POLICY: text}), *steps])


def sla(run_cli: RunCli, repo: Repo, at: str) -> dict[str, Any]:
    result = run_cli(["-C", repo.path, "sla", "--format", "json", "--at", at])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def incident(data: dict[str, Any], incident_id: str = ID) -> dict[str, Any]:
    found = [i for i in data["incidents"] if i["id"] == incident_id]
    assert found, f"{incident_id} is not listed as of {data['as_of']}"
    return found[0]


def metric(data: dict[str, Any], name: str, incident_id: str = ID) -> dict[str, Any]:
    return next(m for m in incident(data, incident_id)["metrics"] if m["metric"] == name)


def report(run_cli: RunCli, repo: Repo, at: str) -> dict[str, Any]:
    result = run_cli(["-C", repo.path, "report", "--format", "json", "--at", at])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def audit(run_cli: RunCli, repo: Repo, at: str) -> tuple[int, list[dict[str, Any]]]:
    result = run_cli(["-C", repo.path, "audit", "--at", at, "--format", "json"])
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)["findings"]


# -- 1. deleting and restoring ---------------------------------------------------------


def test_deleting_and_restoring_an_incident_keeps_its_breach(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: sev1()}),  # never acknowledged
        Commit(t("10:10"), delete=[INC]),
        Revert(2, t("10:20")),
    )
    during = sla(run_cli, repo, t("10:15"))
    assert incident(during)["status"] == "deleted"
    assert metric(during, "acknowledge")["breached_at"] == t("10:05")
    ack = metric(sla(run_cli, repo, t("10:22")), "acknowledge")
    assert (ack["state"], ack["breached_at"]) == ("breached", t("10:05"))
    code, findings = audit(run_cli, repo, t("10:22"))
    removed = [f for f in findings if f["code"] == "evidence-removed"]
    assert code == 1 and [f["level"] for f in removed] == ["error"]


# -- 2. reclassifying after a breach ---------------------------------------------------

ELSEWHERE = {"services": ["search"]}


@pytest.mark.parametrize(
    ("change", "other_policy"),
    [
        ({"severity": "NONPROD"}, False),
        ({"environment": "non-production"}, False),
        (ELSEWHERE, False),  # no policy matches the new services
        (ELSEWHERE, True),  # another policy, with a looser target, matches them
    ],
    ids=["nonprod", "non-production", "no-policy", "another-policy"],
)
def test_reclassifying_after_a_breach_keeps_it(
    tmp_path: Path, run_cli: RunCli, change: dict[str, Any], other_policy: bool
) -> None:
    silver = sla_policy_yaml(
        "silver", applies_to={"services": ["search"]}, targets={"SEV1": {"acknowledge": "1h"}}
    )
    repo = repository(
        tmp_path,
        Commit(t("09:30"), files={"policies/silver.yaml": silver} if other_policy else {}),
        Commit(t("10:00"), files={INC: sev1()}),
        Commit(t("10:10"), files={INC: sev1(**change)}),
        applies_to={"services": ["payments"]},
    )
    ack = metric(sla(run_cli, repo, t("10:30")), "acknowledge")
    assert ack["breached_at"] == t("10:05")
    assert ack["state"] == ("breached" if other_policy else "missed")
    assert ack["cycles"][0]["breached_at"] == t("10:05")
    assert repo.shas[3] in [mark["commit"] for mark in ack["evidence"]]  # the reclassifying


# -- 3. a deleted incident -------------------------------------------------------------


def test_a_deleted_incident_stays_listed_counted_and_audited(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(
        tmp_path, Commit(t("10:00"), files={INC: sev1()}), Commit(t("10:10"), delete=[INC])
    )
    data = sla(run_cli, repo, t("10:30"))
    assert incident(data)["status"] == "deleted"
    ack = metric(data, "acknowledge")
    assert (ack["state"], ack["breached_at"]) == ("missed", t("10:05"))
    figures = report(run_cli, repo, t("10:30"))
    assert figures["incidents"] == 1
    assert [(b["incident"], b["metric"], b["breached_at"]) for b in figures["breaches"]] == [
        (ID, "acknowledge", t("10:05"))
    ]
    code, findings = audit(run_cli, repo, t("10:30"))
    removed = [f for f in findings if f["code"] == "evidence-removed"]
    assert code == 1 and [f["level"] for f in removed] == ["error"]


def test_deleting_a_cancelled_incident_removes_no_evidence(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: sev1()}),
        Commit(t("10:02"), files={INC: sev1(status="cancelled")}),
        Commit(t("10:10"), delete=[INC]),
    )
    _, findings = audit(run_cli, repo, t("10:30"))
    assert "evidence-removed" not in [f["code"] for f in findings]


# -- 4. a postmortem meeting that is never held ----------------------------------------

MEETING_TARGETS = {"SEV1": {"acknowledge": "5m", "postmortem": "48h"}}


@pytest.mark.parametrize("moved_to", [t("10:00", day=3), None], ids=["moved-later", "removed"])
def test_a_planned_meeting_counts_only_when_held(
    tmp_path: Path, run_cli: RunCli, moved_to: str | None
) -> None:
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: sev1()}),
        Commit(t("10:02"), files={INC: sev1(status="acknowledged")}),
        Commit(t("10:30"), files={INC: sev1(status="resolved")}),
        Commit(t("11:00"), files={RCA: rca_yaml(ID, meeting_at=t("10:00", day=1))}),
        # before it is held, the meeting is moved past the 48h target, or removed
        Commit(t("09:00", day=1), files={RCA: rca_yaml(ID, meeting_at=moved_to)}),
        targets=MEETING_TARGETS,
    )
    after_planned = metric(sla(run_cli, repo, t("12:00", day=1)), "postmortem")
    assert after_planned["state"] in ("running", "at_risk")
    assert after_planned["cycles"][0]["stopped_at"] is None
    late = metric(sla(run_cli, repo, t("12:00", day=4)), "postmortem")
    assert late["breached_at"] == t("10:30", day=2)
    assert late["state"] == ("missed" if moved_to else "breached")


# -- 5. typed times on records that are not imported -----------------------------------


def test_a_first_version_past_open_without_milestones_is_not_an_import(
    tmp_path: Path, run_cli: RunCli
) -> None:
    created = sev1(status="acknowledged", reported_at=t("10:00"), updates=[update(t("10:01"))])
    repo = repository(
        tmp_path,
        Commit(t("10:20"), files={INC: created}),
        targets={"SEV1": {"acknowledge": "5m", "first_update": "15m"}},
    )
    first_update = metric(sla(run_cli, repo, t("11:00")), "first_update")
    assert (first_update["state"], first_update["elapsed_seconds"]) == ("missed", 1200)
    assert first_update["breached_at"] == t("10:15")


def test_a_future_meeting_on_a_record_that_is_not_imported_is_not_held_yet(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(
        tmp_path,
        Commit(t("10:20"), files={INC: sev1(status="resolved", reported_at=t("10:00"))}),
        Commit(t("11:00"), files={RCA: rca_yaml(ID, meeting_at=t("10:00", day=7))}),
        targets=MEETING_TARGETS,
    )
    next_day = metric(sla(run_cli, repo, t("10:00", day=1)), "postmortem")
    assert next_day["state"] in ("running", "at_risk")
    assert next_day["cycles"][0]["stopped_at"] is None
    later = metric(sla(run_cli, repo, t("10:00", day=3)), "postmortem")
    assert (later["state"], later["breached_at"]) == ("breached", t("10:20", day=2))


# -- 6. clock: authored credits changes, not contents ----------------------------------


def test_authored_credits_each_fact_to_the_commit_that_made_it(
    tmp_path: Path, run_cli: RunCli
) -> None:
    acked = incident_yaml(ID, severity="SEV2", status="acknowledged")
    told = incident_yaml(ID, severity="SEV2", status="acknowledged", updates=[update(t("10:15"))])
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: incident_yaml(ID, severity="SEV2")}),
        Commit(t("10:03"), files={INC: acked}, branch="ack"),
        Commit(t("10:15"), files={INC: told}, branch="ack"),
        Merge("ack", t("10:20")),
        targets={"SEV2": {"acknowledge": "30m"}},
        clock="authored",
    )
    ack = metric(sla(run_cli, repo, t("11:00")), "acknowledge")
    assert (ack["state"], ack["elapsed_seconds"]) == ("met", 180)


def test_authored_credits_a_withdrawn_fact_to_its_remaking(tmp_path: Path, run_cli: RunCli) -> None:
    # The incident is opened on the branch too: nothing of it is on main before the merge.
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: sev1()}, branch="pr"),
        Commit(t("10:03"), files={INC: sev1(status="acknowledged")}, branch="pr"),
        Commit(t("10:04"), files={INC: sev1()}, branch="pr"),
        Commit(t("10:10"), files={INC: sev1(status="acknowledged")}, branch="pr"),
        Merge("pr", t("10:20")),
        clock="authored",
    )
    ack = metric(sla(run_cli, repo, t("11:00")), "acknowledge")
    assert (ack["state"], ack["elapsed_seconds"]) == ("missed", 600)


# -- 7. obligations after resolution follow the highest severity -----------------------


def test_a_downgrade_keeps_the_postmortem_and_rca_deadlines(
    tmp_path: Path, run_cli: RunCli
) -> None:
    targets = {
        "SEV1": {"acknowledge": "5m", "postmortem": "48h", "rca": "72h"},
        "SEV2": {"acknowledge": "30m"},
    }
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: sev1()}),
        Commit(t("10:02"), files={INC: sev1(status="acknowledged")}),
        Commit(t("10:30"), files={INC: sev1(status="acknowledged", severity="SEV2")}),
        Commit(t("11:00"), files={INC: sev1(status="resolved", severity="SEV2")}),
        Commit(t("12:00"), files={RCA: rca_yaml(ID)}),
        targets=targets,
    )
    at = t("12:00", day=4)
    data = sla(run_cli, repo, at)
    postmortem, rca = metric(data, "postmortem"), metric(data, "rca")
    assert (postmortem["target_seconds"], postmortem["state"]) == (48 * 3600, "breached")
    assert postmortem["breached_at"] == t("11:00", day=2)
    assert (rca["target_seconds"], rca["state"]) == (72 * 3600, "breached")
    assert rca["breached_at"] == t("11:00", day=3)
    overdue = report(run_cli, repo, at)["overdue_rcas"]
    assert sorted((o["incident"], o["metric"]) for o in overdue) == [
        (ID, "postmortem"),
        (ID, "rca"),
    ]
    rendered = run_cli(["-C", repo.path, "rca", "render", ID, "--at", at])
    assert rendered.exit_code == 0, rendered.stderr
    due = re.search(r"Report due[^:]*:\W*(\S+Z)", rendered.stdout)
    assert due is not None and due.group(1) == rca["breached_at"]  # sla and render agree


# -- 8. one row, one cycle -------------------------------------------------------------


def test_a_row_shows_one_cycle_and_a_stopped_clock_has_no_due_date(
    tmp_path: Path, run_cli: RunCli
) -> None:
    told, again = [update(t("10:10"))], [update(t("10:10")), update(t("10:50"))]
    acked = {"status": "acknowledged", "updates": told}
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: sev1()}),
        Commit(t("10:10"), files={INC: sev1(**acked)}),
        Commit(t("10:45"), files={INC: sev1(**acked, severity="SEV2")}),  # the downgrade
        Commit(t("10:50"), files={INC: sev1(**{**acked, "updates": again}, severity="SEV2")}),
        Commit(t("11:00"), files={INC: sev1(status="resolved", updates=again, severity="SEV2")}),
        targets={
            "SEV1": {"acknowledge": "5m", "update_every": "15m"},
            "SEV2": {"update_every": "4h"},
        },
    )
    at = t("12:00")
    row = metric(sla(run_cli, repo, at), "update_every")
    missed = [c for c in row["cycles"] if c["state"] == "missed"]
    assert len(missed) == 1 and missed[0]["breached_at"] == t("10:25")
    fields = ("state", "elapsed_seconds", "target_seconds", "breached_at")
    assert [row[f] for f in fields] == [missed[0][f] for f in fields], row
    assert row["due_at"] is None or row["due_at"] <= at
    table = run_cli(["-C", repo.path, "sla", "--at", at], env={"NO_COLOR": "1"})
    # the worst cycle, and how many of how many cycles were missed
    assert re.search(rf"1 of {len(row['cycles'])} cycles", table.stdout), table.stdout


# -- 9. reports do not invent numbers --------------------------------------------------


def test_an_unknown_milestone_is_left_out_of_the_means(tmp_path: Path, run_cli: RunCli) -> None:
    # imported: reported at 09:00, resolved at 09:40, no acknowledgement or mitigation time
    record = sev1(status="resolved", reported_at=t("09:00"), milestones={"resolved_at": t("09:40")})
    repo = repository(tmp_path, Commit(t("10:00"), files={INC: record}))
    times = report(run_cli, repo, t("12:00"))["times"]
    assert (times["mttr"]["count"], times["mttr"]["mean_seconds"]) == (1, 2400)
    assert (times["mtta"]["count"], times["mtta"]["mean_seconds"]) == (0, None)
    assert (times["mttm"]["count"], times["mttm"]["mean_seconds"]) == (0, None)


def test_an_imported_record_without_times_is_not_judged_met(
    tmp_path: Path, run_cli: RunCli
) -> None:
    # imported with the one milestone its status needs, and no time it was opened at
    record = sev1(status="resolved", milestones={"resolved_at": t("09:40")})
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: record}),
        targets={"SEV1": {"acknowledge": "5m", "resolve": "4h"}},
    )
    data = sla(run_cli, repo, t("12:00"))
    judged = [(m["metric"], m["state"], m["elapsed_seconds"]) for m in incident(data)["metrics"]]
    assert not [m for m in judged if m[1] == "met" and m[2] == 0], judged
    attainment = report(run_cli, repo, t("12:00"))["attainment"]
    assert sum(a["met"] for a in attainment) == 0, attainment


def test_a_miss_counts_under_the_severity_in_force_when_it_happened(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(
        tmp_path,
        Commit(t("10:00"), files={INC: sev1()}),
        Commit(t("10:20"), files={INC: sev1(status="acknowledged")}),  # SEV1, 15m late
        Commit(t("10:30"), files={INC: sev1(status="acknowledged", severity="SEV2")}),
        Commit(t("11:00"), files={INC: sev1(status="resolved", severity="SEV2")}),
        targets={"SEV1": {"acknowledge": "5m"}, "SEV2": {"acknowledge": "30m"}},
    )
    attainment = report(run_cli, repo, t("12:00"))["attainment"]
    ack = {
        a["severity"]: (a["met"], a["missed"]) for a in attainment if a["metric"] == "acknowledge"
    }
    assert ack.get("SEV1") == (0, 1), attainment
    assert ack.get("SEV2", (0, 0)) == (0, 0), attainment
