"""`incidentctl report` on a real Git history, every figure worked out by hand below.

The history (policy "gold": SEV1 acknowledge 5m, update_every 15m, mitigate 1h,
resolve 4h, postmortem 48h, rca 72h; SEV2 update_every 30m, resolve 8h; 24x7):

- A INC-2026-0001 SEV1 acme, monitoring, impact from 09:50: opened 2026-03-02 10:00,
  acknowledged 10:04 (customer update), mitigated 10:30 (update), resolved 12:00.
  No RCA.
- B INC-2026-0002 SEV2 globex, customer-reported at 07:50 (reported_at), file opened
  2026-03-10 08:00, acknowledged 09:00 (update), resolved 11:50.
- C INC-2026-0003 SEV1 acme, synthetic, impact from 09:30: opened 2026-04-05 10:00,
  acknowledged 10:10 (update); still open at the report time 2026-04-05 12:00. Its
  draft RCA has an action due 2026-04-01, still open.
- D INC-2026-0004 NONPROD, non-production: excluded.
- E INC-2026-0005 SEV2 globex, customer: opened 2026-03-20 10:00, cancelled 10:30.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import Commit, Repo, build_repo, incident_yaml, rca_yaml, sla_policy_yaml, update

if TYPE_CHECKING:
    from conftest import RunCli

AT = "2026-04-05T12:00:00Z"
TARGETS = {
    "SEV1": {
        "acknowledge": "5m",
        "update_every": "15m",
        "mitigate": "1h",
        "resolve": "4h",
        "postmortem": "48h",
        "rca": "72h",
    },
    "SEV2": {"update_every": "30m", "resolve": "8h"},
}
A, B, C, D, E = (f"incidents/2026/INC-2026-000{n}.yaml" for n in range(1, 6))
MIN, HOUR = 60, 3600


def a(status: str, updates: list[dict[str, str]]) -> str:
    return incident_yaml(
        "INC-2026-0001", status=status, severity="SEV1", customer="acme",
        impact_started_at="2026-03-02T09:50:00Z", updates=updates,
    )  # fmt: skip


def b(status: str, updates: list[dict[str, str]]) -> str:
    return incident_yaml(
        "INC-2026-0002", status=status, severity="SEV2", customer="globex",
        source="customer", channel="hotline", reported_at="2026-03-10T07:50:00Z",
        updates=updates,
    )  # fmt: skip


def c(status: str, updates: list[dict[str, str]]) -> str:
    return incident_yaml(
        "INC-2026-0003", status=status, severity="SEV1", customer="acme", source="synthetic",
        impact_started_at="2026-04-05T09:30:00Z", updates=updates,
    )  # fmt: skip


def e(status: str) -> str:
    return incident_yaml(
        "INC-2026-0005", status=status, customer="globex", source="customer", channel="email"
    )


C_RCA = rca_yaml(
    "INC-2026-0003",
    actions=[
        {"id": "a1", "title": "Alert sooner", "type": "detect", "owner": "@bob",
         "due": "2026-04-01"},
        {"id": "a2", "title": "Done already", "type": "fix", "due": "2026-03-01",
         "status": "done"},
        {"id": "a3", "title": "Due today", "type": "prevent", "due": "2026-04-05"},
        {"id": "a4", "title": "No date yet", "type": "process"},
    ],
)  # fmt: skip

U1, U2 = update("2026-03-02T10:04:00Z"), update("2026-03-02T10:30:00Z")
UB = update("2026-03-10T09:00:00Z")
UC = update("2026-04-05T10:10:00Z")


def build_history(path: Path) -> Repo:
    """The history the module docstring describes (also the dashboard test's)."""
    return build_repo(
        path,
        [
            Commit("2026-03-01T00:00:00Z", files={
                "policies/sla/gold.yaml": sla_policy_yaml("gold", targets=TARGETS)}),
            Commit("2026-03-02T10:00:00Z", files={A: a("open", [])}),
            Commit("2026-03-02T10:04:00Z", files={A: a("acknowledged", [U1])}),
            Commit("2026-03-02T10:30:00Z", files={A: a("mitigated", [U1, U2])}),
            Commit("2026-03-02T12:00:00Z", files={A: a("resolved", [U1, U2])}),
            Commit("2026-03-05T09:00:00Z", files={D: incident_yaml(
                "INC-2026-0004", severity="NONPROD", environment="non-production")}),
            Commit("2026-03-10T08:00:00Z", files={B: b("open", [])}),
            Commit("2026-03-10T09:00:00Z", files={B: b("acknowledged", [UB])}),
            Commit("2026-03-10T11:50:00Z", files={B: b("resolved", [UB])}),
            Commit("2026-03-20T10:00:00Z", files={E: e("open")}),
            Commit("2026-03-20T10:30:00Z", files={E: e("cancelled")}),
            Commit("2026-04-05T10:00:00Z", files={C: c("open", [])}),
            Commit("2026-04-05T10:10:00Z", files={C: c("acknowledged", [UC])}),
            Commit("2026-04-05T11:00:00Z", files={
                "incidents/2026/INC-2026-0003.rca.yaml": C_RCA}),
        ],
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return build_history(tmp_path / "repo")


def report(run_cli: RunCli, repo: Repo, *args: str, fmt: str = "json") -> str:
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", fmt, *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def data(run_cli: RunCli, repo: Repo, *args: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(report(run_cli, repo, *args))
    return loaded


def stat(count: int, mean: float | None, median: float | None) -> dict[str, Any]:
    return {"count": count, "mean_seconds": mean, "median_seconds": median}


def core(value: Any) -> Any:
    """The figures without their p90 and unknown counts (tested on their own)."""
    if isinstance(value, dict):
        return {k: core(v) for k, v in value.items() if k not in ("p90_seconds", "unknown")}
    if isinstance(value, list):
        return [core(v) for v in value]
    return value


NONE = stat(0, None, None)


def test_the_times_to_acknowledge_mitigate_resolve_and_detect(run_cli: RunCli, repo: Repo) -> None:
    got = data(run_cli, repo)
    assert got["commit"] == repo.head()
    assert got["as_of"] == AT
    # A, B, C (E is cancelled and left out of the times; D is non-production)
    assert got["incidents"] == 4
    assert got["excluded_nonproduction"] == 1
    mtta = {"A": 4 * MIN, "B": 70 * MIN, "C": 10 * MIN}  # B counts from reported_at 07:50
    mttm = {"A": 30 * MIN, "B": 4 * HOUR}  # B resolved without mitigating first: 11:50
    mttr = {"A": 2 * HOUR, "B": 4 * HOUR}
    mttd = {"A": 10 * MIN, "C": 30 * MIN}
    assert core(got["times"]) == {
        "mtta": stat(3, (240 + 4200 + 600) / 3, 600),
        "mttm": stat(2, (1800 + 14400) / 2, (1800 + 14400) / 2),
        "mttr": stat(2, (7200 + 14400) / 2, (7200 + 14400) / 2),
        "mttd": stat(2, (600 + 1800) / 2, (600 + 1800) / 2),
    }
    assert (mtta["A"], mttm["A"], mttr["B"], mttd["C"]) == (240, 1800, 14400, 1800)
    assert core(got["by_severity"]) == [
        {
            "severity": "SEV1",  # A and C
            "mtta": stat(2, (240 + 600) / 2, (240 + 600) / 2),
            "mttm": stat(1, 1800, 1800),
            "mttr": stat(1, 7200, 7200),
            "mttd": stat(2, (600 + 1800) / 2, (600 + 1800) / 2),
        },
        {
            "severity": "SEV2",  # B
            "mtta": stat(1, 4200, 4200),
            "mttm": stat(1, 14400, 14400),
            "mttr": stat(1, 14400, 14400),
            "mttd": NONE,
        },
    ]
    assert core(got["by_month"]) == [
        {
            "month": "2026-03",  # A and B
            "mtta": stat(2, (240 + 4200) / 2, (240 + 4200) / 2),
            "mttm": stat(2, (1800 + 14400) / 2, (1800 + 14400) / 2),
            "mttr": stat(2, (7200 + 14400) / 2, (7200 + 14400) / 2),
            "mttd": stat(1, 600, 600),
        },
        {"month": "2026-04", "mtta": stat(1, 600, 600), "mttm": NONE, "mttr": NONE,
         "mttd": stat(1, 1800, 1800)},
    ]  # fmt: skip


def attained(
    metric: str, severity: str, customer: str, met: int = 0, missed: int = 0,
    breached: int = 0, running: int = 0,
) -> dict[str, Any]:  # fmt: skip
    judged = met + missed + breached
    rate = round(met / judged, 4) if judged else None
    return {"metric": metric, "severity": severity, "customer": customer, "met": met,
            "missed": missed, "breached": breached, "running": running, "rate": rate}  # fmt: skip


def test_sla_attainment_cadence_and_detection(run_cli: RunCli, repo: Repo) -> None:
    got = data(run_cli, repo)
    assert got["attainment"] == [
        # A acknowledged after 4m (met); C after 10m (missed)
        attained("acknowledge", "SEV1", "acme", met=1, missed=1),
        # every cycle counts: A 1 met + 2 missed, C 1 met + 1 breached (10:10 to 12:00)
        attained("update_every", "SEV1", "acme", met=2, missed=2, breached=1),
        # B 2 missed (07:50-09:00 is 70m), E 1 met (10:00-10:30)
        attained("update_every", "SEV2", "globex", met=1, missed=2),
        # A mitigated after 30m; C not after 2h of 1h
        attained("mitigate", "SEV1", "acme", met=1, breached=1),
        attained("resolve", "SEV1", "acme", met=1, running=1),  # A 2h of 4h; C 2h running
        attained("resolve", "SEV2", "globex", met=2),  # B 4h of 8h; E cancelled after 30m
        attained("postmortem", "SEV1", "acme", breached=1),  # A: no meeting 48h after 12:00
        attained("rca", "SEV1", "acme", breached=1),
    ]
    # cycles: A 1 met + 2 missed, B 2 missed, C 1 met + 1 breached, E 1 met
    assert got["update_cadence"] == {
        "met": 1 + 1 + 1,
        "missed": 2 + 2 + 1,
        "running": 0,
        "rate": round(3 / 8, 4),
    }
    # A monitoring and C synthetic are internal, B customer (E cancelled, not counted)
    assert got["detection"] == {
        "internal": 2,
        "external": 1,
        "share": round(2 / 3, 4),
        "goal": 0.9,
        "meets_goal": False,
    }


def test_breaches_carry_their_evidence_and_overdue_follow_ups_are_listed(
    run_cli: RunCli, repo: Repo
) -> None:
    got = data(run_cli, repo)
    breaches = [(x["incident"], x["metric"], x["state"], x["breached_at"]) for x in got["breaches"]]
    assert breaches == [
        # every breached cycle is listed
        ("INC-2026-0001", "update_every", "missed", "2026-03-02T10:19:00Z"),  # 10:04 + 15m
        ("INC-2026-0001", "update_every", "missed", "2026-03-02T10:45:00Z"),  # 10:30 + 15m
        ("INC-2026-0001", "postmortem", "breached", "2026-03-04T12:00:00Z"),  # 12:00 + 48h
        ("INC-2026-0001", "rca", "breached", "2026-03-05T12:00:00Z"),  # 12:00 + 72h
        ("INC-2026-0002", "update_every", "missed", "2026-03-10T08:20:00Z"),  # 07:50 + 30m
        ("INC-2026-0002", "update_every", "missed", "2026-03-10T09:30:00Z"),  # 09:00 + 30m
        ("INC-2026-0003", "acknowledge", "missed", "2026-04-05T10:05:00Z"),
        ("INC-2026-0003", "update_every", "breached", "2026-04-05T10:25:00Z"),  # 10:10 + 15m
        ("INC-2026-0003", "mitigate", "breached", "2026-04-05T11:00:00Z"),
    ]
    ack = got["breaches"][6]["evidence"]
    assert [(m["event"], m["at"], m["commit"]) for m in ack] == [
        ("start", "2026-04-05T10:00:00Z", repo.shas[11]),
        ("stop", "2026-04-05T10:10:00Z", repo.shas[12]),
    ]
    start_b = got["breaches"][4]["evidence"][0]
    assert (start_b["at"], start_b["source"], start_b["commit"]) == (
        "2026-03-10T07:50:00Z", "declared", repo.shas[6],
    )  # fmt: skip
    assert got["overdue_rcas"] == [
        {"incident": "INC-2026-0001", "metric": "postmortem",
         "due_at": "2026-03-04T12:00:00Z", "rca_status": None},
        {"incident": "INC-2026-0001", "metric": "rca",
         "due_at": "2026-03-05T12:00:00Z", "rca_status": None},
    ]  # fmt: skip
    # a1 is due 2026-04-01, four days before the report; a3 is due today, not past
    assert got["overdue_actions"] == [
        {"incident": "INC-2026-0003", "action": "a1", "title": "Alert sooner",
         "owner": "@bob", "due": "2026-04-01", "days_overdue": 5 - 1},
    ]  # fmt: skip
    assert [(i["id"], i["status"]) for i in got["open_incidents"]] == [
        ("INC-2026-0003", "acknowledged")
    ]


def test_filters_by_dates_and_customer(run_cli: RunCli, repo: Repo) -> None:
    april = data(run_cli, repo, "--since", "2026-04-01")
    assert (april["incidents"], april["excluded_nonproduction"]) == (1, 0)
    assert core(april["times"]["mtta"]) == stat(1, 600, 600)
    assert april["filters"] == {"since": "2026-04-01", "until": None, "customer": None}
    globex = data(run_cli, repo, "--customer", "globex", "--until", "2026-03-31")
    assert globex["incidents"] == 2  # B and E
    assert core(globex["times"]["mtta"]) == stat(1, 4200, 4200)
    assert globex["detection"]["internal"] == 0
    bad = run_cli(["-C", repo.path, "report", "--since", "2026-04-02", "--until", "2026-04-01"])
    assert bad.exit_code == 2
    assert "swap them" in bad.stderr


def test_the_report_is_the_same_bytes_every_time(run_cli: RunCli, repo: Repo) -> None:
    for fmt in ("json", "csv", "table", "markdown", "html"):
        first = report(run_cli, repo, fmt=fmt)
        assert first == report(run_cli, repo, fmt=fmt), fmt
        assert "INC-2026-0003" in first


def test_later_history_changes_the_report_but_not_the_past(run_cli: RunCli, repo: Repo) -> None:
    before = report(run_cli, repo)
    repo.apply(Commit("2026-04-05T11:30:00Z", files={C: c("resolved", [UC])}))
    after = data(run_cli, repo)
    assert after["commit"] == repo.head() != json.loads(before)["commit"]
    assert core(after["times"]["mttr"]) == stat(3, (7200 + 14400 + 90 * MIN) / 3, 7200)


def test_the_csv_opens_cleanly(run_cli: RunCli, repo: Repo) -> None:
    text = report(run_cli, repo, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0].startswith("section,incident,metric,")
    assert sum(1 for line in text.splitlines() if line.startswith("section,")) == 1
    by = {(r["section"], r["metric"], r["severity"], r["month"], r["measure"]): r["value"]
          for r in rows}  # fmt: skip
    assert by[("time", "mttr", "all", "all", "mean_seconds")] == str((7200 + 14400) // 2)
    assert by[("time", "mtta", "all", "all", "mean_seconds")] == "1680"  # 5040 / 3
    assert by[("time", "mtta", "all", "2026-03", "median_seconds")] == "2220"
    assert by[("detection", "", "", "", "share")] == "0.6667"
    assert by[("update_cadence", "update_every", "", "", "rate")] == "0.375"
    # A's update_every: the first cycle stops at the 10:04 update, the second at 10:30
    stops = [r for r in rows if r["section"] == "breach" and r["measure"] == "stop"]
    assert (stops[0]["at"], stops[0]["commit"]) == ("2026-03-02T10:04:00Z", repo.shas[2])
    assert (stops[1]["at"], stops[1]["commit"]) == ("2026-03-02T10:30:00Z", repo.shas[3])
    for row in rows:
        for cell in row.values():
            assert "," not in cell or row["section"] == "breach", row  # no 1,234
        if row["at"]:
            assert row["at"].endswith("Z") and "T" in row["at"]


def test_table_and_markdown_name_the_figures(run_cli: RunCli, repo: Repo) -> None:
    table = report(run_cli, repo, fmt="table")
    assert "SEV1   2  7m / 7m" in table  # MTTA of A and C: (4m + 10m) / 2
    assert "non-production incidents excluded  1" in table
    md = report(run_cli, repo, fmt="markdown")
    assert "| update_every | SEV2 | globex | 1 | 2 | 0 | 0 | 33.3% |" in md


def test_out_writes_the_dashboard_to_a_file(
    run_cli: RunCli, repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY"):  # no commit links: no address
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "site" / "index.html"
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html", "--out", out])
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "<link" not in page
    # one inline script (sortable tables), nothing loaded from elsewhere
    assert page.count("<script") == 1 and "<script>" in page and " src=" not in page
    assert repo.head() in page
    # one file: every incident's section is in it, with its timeline
    for n in (1, 2, 3, 5):
        assert f'<section class="incident" id="INC-2026-000{n}">' in page
    assert page.count('<svg class="timeline"') == 4


def test_commits_link_to_the_forge_when_it_is_known(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    env = {"GITHUB_SERVER_URL": "https://github.example.com", "GITHUB_REPOSITORY": "acme/incidents"}
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html"], env=env)
    assert result.exit_code == 0, result.stderr
    link = f'<a href="https://github.example.com/acme/incidents/commit/{repo.shas[2]}">'
    assert link in result.stdout  # A's acknowledgement, in its changes and its timeline
    # and the incident's file, as of its last version
    last = repo.git("log", "-1", "--format=%H", "main", "--", A).strip()
    assert f'<a href="https://github.example.com/acme/incidents/blob/{last}/{A}">' in result.stdout


def test_text_from_documents_is_escaped_in_the_dashboard(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    evil = incident_yaml(
        "INC-2026-0009", title="<script>alert(1)</script> & <b>", severity="SEV1",
        updates=[update("2026-04-05T11:45:00Z", "<img src=x onerror=alert(1)>")],
    )  # fmt: skip
    repo.apply(Commit("2026-04-05T11:40:00Z", files={"incidents/2026/INC-2026-0009.yaml": evil}))
    page = report(run_cli, repo, fmt="html")
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in page
