"""`incidentctl site build`: the public status page, its feed and JSON, on real histories.

The public part must never carry an internal field: the canary test fills every
internal field of a repository (titles, summaries, internal updates, roles,
customers, defects and their tracker links, RCAs, links, labels, commit authors) with
strings that must not appear in any file of the public output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import pytest

from gitrepo import Commit, Repo, build_repo, incident_yaml, rca_yaml, sla_policy_yaml, update

if TYPE_CHECKING:
    from conftest import RunCli

AT = "2026-04-05T12:00:00Z"
ONE = "incidents/2026/INC-2026-0001.yaml"
TWO = "incidents/2026/INC-2026-0002.yaml"
OLD = "incidents/2026/INC-2026-0003.yaml"
FALSE_ALARM = "incidents/2026/INC-2026-0004.yaml"
CANARY = "CANARY"  # every internal string below contains it (in some case)
MARKER = ".incidentctl-site"


def one(status: str, updates: list[dict[str, str]], severity: str = "SEV1") -> str:
    """An open SEV1 on payments: every internal field carries a canary."""
    return incident_yaml(
        "INC-2026-0001", status=status, severity=severity,
        title="Canary-title: acme's card payments", summary="CANARY summary of the failover",
        customer="CANARY-customer-acme", services=["payments-api"], commander="@canary-commander",
        roles={"commander": "@canary-commander", "communications": "@canary-comms"},
        assignees=["@canary-assignee"], updates=updates,
        defects=[{"key": "canary-defect", "title": "CANARY defect title", "service": "payments-api",
                  "fix": "hotfix", "tracker": "github:canary-org/canary-repo#12"}],
        links=["https://canary.example/runbook", {"url": "https://canary.example/grafana",
                                                  "title": "CANARY dashboard"}],
        labels=["canary-label"],
        workaround="CANARY workaround: route via standby" if status == "mitigated" else None,
    )  # fmt: skip


def two(status: str, updates: list[dict[str, str]]) -> str:
    return incident_yaml(
        "INC-2026-0002", status=status, severity="SEV3", title="CANARY portal title",
        summary="CANARY portal summary", customer="canary-customer-globex",
        services=["portal"], commander="@canary-lead", updates=updates,
        resolution={"kind": "fixed", "summary": "CANARY resolution summary"}
        if status in ("resolved", "closed") else None,
    )  # fmt: skip


INTERNAL = update("2026-04-05T10:05:00Z", "CANARY internal: db primary lost", "internal")
U1 = update("2026-04-05T10:06:00Z", "We are investigating failed card payments.")
U2 = update("2026-04-05T10:40:00Z", "Payments are flowing again through a standby route.")
P1 = update("2026-03-10T09:10:00Z", "The portal is slow; we are on it.")
RCA = rca_yaml(
    "INC-2026-0002", status="draft", owner="@canary-owner", facilitator="@canary-facilitator",
    summary="CANARY rca summary", trigger="CANARY trigger",
    root_causes=[{"category": "code", "description": "CANARY root cause"}],
    actions=[{"id": "a1", "title": "CANARY action", "type": "fix", "owner": "@canary-owner",
              "tracker": "jira:CANARY-7"}],
)  # fmt: skip
AUTHOR = {"author": "Canary Author", "email": "canary-author@example.com"}


def build_history(path: Path) -> Repo:
    return build_repo(
        path,
        [
            Commit("2026-01-01T00:00:00Z", files={
                "policies/sla/gold.yaml": sla_policy_yaml("gold")}, **AUTHOR),
            # resolved long before the 90 days: on no page
            Commit("2025-12-01T10:00:00Z", files={OLD: incident_yaml(
                "INC-2026-0003", status="open", services=["ledger"])}, **AUTHOR),
            Commit("2025-12-01T11:00:00Z", files={OLD: incident_yaml(
                "INC-2026-0003", status="resolved", services=["ledger"])}, **AUTHOR),
            Commit("2026-03-10T09:00:00Z", files={TWO: two("open", [])}, **AUTHOR),
            Commit("2026-03-10T09:10:00Z", files={TWO: two("acknowledged", [P1])}, **AUTHOR),
            Commit("2026-03-10T11:00:00Z", files={TWO: two("resolved", [P1])}, **AUTHOR),
            Commit("2026-03-11T09:00:00Z", files={
                "incidents/2026/INC-2026-0002.rca.yaml": RCA}, **AUTHOR),
            Commit("2026-03-20T09:00:00Z", files={FALSE_ALARM: incident_yaml(
                "INC-2026-0004", status="open", services=["payments-api"])}, **AUTHOR),
            Commit("2026-03-20T09:30:00Z", files={FALSE_ALARM: incident_yaml(
                "INC-2026-0004", status="cancelled", services=["payments-api"])}, **AUTHOR),
            Commit("2026-04-05T10:00:00Z", files={ONE: one("open", [])}, **AUTHOR),
            Commit("2026-04-05T10:06:00Z", files={
                ONE: one("acknowledged", [INTERNAL, U1])}, **AUTHOR),
            Commit("2026-04-05T10:40:00Z", files={
                ONE: one("mitigated", [INTERNAL, U1, U2])}, **AUTHOR),
        ],
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return build_history(tmp_path / "repo")


def build(run_cli: RunCli, repo: Repo, out: Path, *args: str) -> None:
    result = run_cli(["-C", repo.path, "site", "build", "--at", AT, "--out", out, *args])
    assert result.exit_code == 0, result.stderr


def every_file(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_no_internal_field_reaches_the_public_site(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "public"
    build(run_cli, repo, out, "--public", "--title", "Example status")
    files = every_file(out)
    assert set(files) == {
        ".incidentctl-site", "index.html", "history.atom",
        "api/v2/summary.json", "api/v2/incidents.json",
    }  # fmt: skip
    for name, text in files.items():
        assert CANARY.lower() not in text.lower(), f"{name} carries an internal field"
        assert repo.head() not in text, f"{name} names a commit"
    # the public fields are there: services and customer updates, in every output
    for name in ("index.html", "history.atom", "api/v2/incidents.json"):
        assert "Payments are flowing again through a standby route." in files[name], name
        assert "payments-api" in files[name]
    # the internal build does carry the canaries: they are in the data, and the public
    # build leaves them out
    build(run_cli, repo, tmp_path / "internal")
    assert "Canary-title" in (tmp_path / "internal" / "index.html").read_text(encoding="utf-8")


# The catalogue: every field but a service's public name is internal, and so are the
# customers' names and contacts, even when a customer update names them.
CATALOGUE = {
    "services/payments-api.yaml": """\
apiVersion: incidentctl/v1
kind: Service
name: payments-api
description: CANARY internal description of the service
public_name: Card payments
owner: "@canary-org/canary-owner-team"
tier: 1
escalation: ["@canary-org/canary-escalation-leads", "@canary-duty-manager"]
pagerduty: {routing_key_env: CANARY_PAGERDUTY_ROUTING_KEY}
runbook: https://runbooks.canary.example/payments-api
monitors: [{url: "https://grafana.canary.example/d/payments", title: CANARY monitor}]
""",
    # no public name: the service is not on the page, not even as "ledger"
    "services/ledger.yaml": """\
apiVersion: incidentctl/v1
kind: Service
name: ledger
owner: "@canary-org/canary-ledger-team"
runbook: https://runbooks.canary.example/ledger
""",
    "services/portal.yaml": """\
apiVersion: incidentctl/v1
kind: Service
name: portal
public_name: Merchant portal
owner: "@canary-org/canary-portal-team"
""",
    "customers/acme.yaml": """\
apiVersion: incidentctl/v1
kind: Customer
name: CANARY-customer-acme
display_name: Canaryvale Bank
contract: gold
contacts:
  - {name: Canary Card Operations, email: canary-card-ops@acme.example}
status_page: public
""",
    # private (the default): its incidents stay off the page
    "customers/globex.yaml": """\
apiVersion: incidentctl/v1
kind: Customer
name: canary-customer-globex
display_name: Canary Globex
contacts: [{email: canary-desk@globex.example}]
""",
}
# a customer update that names the customer and its contacts (as people do write them)
NAMING = update(
    "2026-04-05T11:00:00Z",
    "Canaryvale bank: card payments recover. CANARY-customer-acme's Canary Card Operations "
    "team, canary-card-ops@acme.example, will get the details.",
)


def test_the_catalogue_decides_what_the_public_page_names(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    repo.apply(
        Commit("2026-04-05T11:00:00Z", files={
            **CATALOGUE, ONE: one("mitigated", [INTERNAL, U1, U2, NAMING])}, **AUTHOR),
    )  # fmt: skip
    out = tmp_path / "public"
    build(run_cli, repo, out, "--public")
    full = tmp_path / "site"
    build(run_cli, repo, full)
    files = every_file(out)
    # the internal build's public part is the same pages
    assert every_file(full / "status") == {n: t for n, t in files.items() if n != MARKER}
    for name, text in files.items():
        assert CANARY.lower() not in text.lower(), f"{name} carries an internal field"
        for internal in ("payments-api", "ledger", "Canaryvale", "pagerduty", "runbook", "example"):
            assert internal.lower() not in text.lower(), f"{name} carries {internal!r}"
    summary = json.loads(files["api/v2/summary.json"])
    # services by their public names; one without a public name is not shown
    assert [c["name"] for c in summary["components"]] == ["Card payments", "Merchant portal"]
    listed = json.loads(files["api/v2/incidents.json"])
    # globex's page visibility is private: its SEV3 is not listed
    assert [i["id"] for i in listed["incidents"]] == ["INC-2026-0001"]
    [current] = listed["incidents"]
    assert current["name"] == "Outage: Card payments"
    assert current["incident_updates"][0]["body"] == (
        "[customer]: card payments recover. [customer]'s [customer] team, [customer], will "
        "get the details."
    )
    assert "[customer]: card payments recover." in files["index.html"]
    assert "[customer]: card payments recover." in files["history.atom"]


def test_a_broken_catalogue_stops_the_build(run_cli: RunCli, repo: Repo, tmp_path: Path) -> None:
    (repo.path / "services").mkdir()
    (repo.path / "services" / "payments-api.yaml").write_text(
        "apiVersion: incidentctl/v1\nkind: Service\nname: payments-api\npublic_name: [x\n",
        encoding="utf-8",
    )
    out = tmp_path / "public"
    result = run_cli(["-C", repo.path, "site", "build", "--at", AT, "--out", out, "--public"])
    assert result.exit_code == 2, result.stderr
    assert "services/payments-api.yaml:5:1: error yaml-syntax" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


SUMMARY_KEYS = {"page", "components", "incidents", "scheduled_maintenances", "status"}
PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip
COMPONENT_STATUSES = {"operational", "degraded_performance", "partial_outage", "major_outage"}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
IMPACTS = {"none", "minor", "major", "critical"}


def check_incident(incident: dict[str, Any]) -> None:
    assert set(incident) == INCIDENT_KEYS
    assert incident["status"] in INCIDENT_STATUSES
    assert incident["impact"] in IMPACTS
    for u in incident["incident_updates"]:
        assert set(u) == UPDATE_KEYS
        assert u["status"] in INCIDENT_STATUSES
        assert u["incident_id"] == incident["id"]
    for c in incident["components"]:
        assert set(c) == COMPONENT_KEYS


def test_the_json_has_statuspage_field_names_and_values(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "public"
    build(run_cli, repo, out, "--public", "--title", "Example status",
          "--url", "https://status.example.com/")  # fmt: skip
    summary = json.loads((out / "api/v2/summary.json").read_text(encoding="utf-8"))
    assert set(summary) == SUMMARY_KEYS
    assert set(summary["page"]) == PAGE_KEYS
    assert summary["page"]["name"] == "Example status"
    assert summary["page"]["updated_at"] == AT
    # the open SEV1 is mitigated: a workaround is in place, so its impact now is minor
    assert summary["status"] == {"indicator": "minor", "description": "Minor Service Outage"}
    components = {c["name"]: c for c in summary["components"]}
    for c in components.values():
        assert set(c) == COMPONENT_KEYS
        assert c["status"] in COMPONENT_STATUSES
    # ledger's only incident was resolved before the 90 days: listed, operational
    assert {n: c["status"] for n, c in components.items()} == {
        "ledger": "operational",
        "payments-api": "degraded_performance",
        "portal": "operational",
    }
    assert [c["position"] for c in summary["components"]] == [1, 2, 3]
    [current] = summary["incidents"]
    check_incident(current)
    assert current["id"] == "INC-2026-0001"
    assert current["name"] == "Outage: payments-api"
    assert current["status"] == "monitoring"
    assert current["impact"] == "critical"  # the worst of its life
    assert current["created_at"] == "2026-04-05T10:00:00Z"
    assert current["monitoring_at"] == "2026-04-05T10:40:00Z"
    assert current["resolved_at"] is None
    assert current["shortlink"] == "https://status.example.com/#INC-2026-0001"
    assert [(u["status"], u["body"], u["created_at"]) for u in current["incident_updates"]] == [
        ("monitoring", U2["text"], "2026-04-05T10:40:00Z"),
        ("identified", U1["text"], "2026-04-05T10:06:00Z"),
    ]
    assert [c["name"] for c in current["components"]] == ["payments-api"]

    listed = json.loads((out / "api/v2/incidents.json").read_text(encoding="utf-8"))
    assert set(listed) == {"page", "incidents"}
    for incident in listed["incidents"]:
        check_incident(incident)
    # open first, then the 90 days newest first; the false alarm and the old one are not news
    assert [(i["id"], i["status"], i["resolved_at"]) for i in listed["incidents"]] == [
        ("INC-2026-0001", "monitoring", None),
        ("INC-2026-0002", "resolved", "2026-03-10T11:00:00Z"),
    ]


def test_the_atom_feed_has_an_entry_per_incident(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "public"
    build(run_cli, repo, out, "--public", "--url", "https://status.example.com")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring((out / "history.atom").read_bytes())
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.findtext("a:updated", namespaces=ns) == AT
    entries = feed.findall("a:entry", ns)
    assert [e.findtext("a:id", namespaces=ns) for e in entries] == [
        "https://status.example.com/#INC-2026-0001",
        "https://status.example.com/#INC-2026-0002",
    ]
    first = entries[0]
    assert first.findtext("a:updated", namespaces=ns) == "2026-04-05T10:40:00Z"
    content = first.findtext("a:content", namespaces=ns) or ""
    assert "2026-04-05T10:06:00Z (identified): We are investigating failed card payments." in (
        content
    )


def test_the_page_shows_90_days_per_component(run_cli: RunCli, repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(run_cli, repo, out, "--public")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count('data-day="') == 3 * 90
    assert 'data-day="2026-01-06"' in page  # 90 days ending on the day of --at
    assert 'data-day="2026-01-05"' not in page
    assert 'data-day="2026-03-10" data-impact="minor"' in page  # the SEV3 on portal
    assert 'data-day="2026-04-05" data-impact="critical"' in page  # the SEV1 before mitigation
    assert 'id="overall" data-indicator="minor"' in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")


def test_a_public_build_replaces_an_internal_one_whole(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build(run_cli, repo, out)
    assert (out / "status" / "index.html").is_file()
    build(run_cli, repo, out, "--public")
    assert not (out / "status").exists()
    assert CANARY.lower() not in "".join(every_file(out).values()).lower()


def test_a_folder_that_is_not_a_site_is_left_alone(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = run_cli(["-C", repo.path, "site", "build", "--at", AT, "--out", out, "--public"])
    assert result.exit_code == 2
    assert "was not made by `site build`" in result.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine")]


def test_a_customer_view_shows_that_customer_alone(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build(run_cli, repo, out)
    views = sorted(p.name for p in (out / "customers").iterdir())
    assert views == ["canary-customer-acme.html", "canary-customer-globex.html"]
    acme = (out / "customers" / "canary-customer-acme.html").read_text(encoding="utf-8")
    globex = (out / "customers" / "canary-customer-globex.html").read_text(encoding="utf-8")
    # acme has the SEV1 (INC-2026-0001); globex the SEV3 (INC-2026-0002)
    assert "INC-2026-0001" in acme and "Canary-title" in acme
    for other in ("INC-2026-0002", "globex", "portal", "INC-2026-0003", "INC-2026-0004"):
        assert other not in acme, other
    for other in ("INC-2026-0001", "acme", "payments-api", "Canary-title"):
        assert other not in globex, other
    # the figures are the customer's own: the globex SEV3 acknowledged in 10 minutes
    assert '<div class="card" data-figure="incidents"><small>incidents</small><b>1</b>' in globex
    assert '<div class="card" data-figure="MTTA mean"><small>MTTA mean</small><b>10m</b>' in globex
    # nothing internal beyond the figures: no commits, authors or internal updates
    for text in (acme, globex):
        assert repo.head() not in text and "Canary Author" not in text
        assert "CANARY internal" not in text and "@canary" not in text


def test_a_chart_goes_to_a_log_scale_only_when_values_spread_widely() -> None:
    from incidentctl.site.charts import bar_chart

    close = bar_chart("c", "close", [("a", "m", 10.0), ("b", "m", 200.0)], str)
    assert not close.log
    assert [r.width for r in close.rows] == [5.0, 100.0]
    wide = bar_chart("w", "wide", [("a", "m", 10.0), ("b", "m", 100.0), ("c", "m", 1000.0)], str)
    assert wide.log
    # the smallest gets a tenth of the track, each tenfold step an equal share of the rest
    assert [r.width for r in wide.rows] == [10.0, 55.0, 100.0]
    percent = bar_chart("p", "rates", [("a", "r", 1.0), ("b", "r", 75.0)], str, top=100.0)
    assert not percent.log and [r.width for r in percent.rows] == [1.0, 75.0]


def test_durations_on_pages_keep_their_two_largest_units() -> None:
    from incidentctl.site.dashboard import duration_text

    assert duration_text(7 * 86400 + 7 * 3600 + 42 * 60 + 36) == "7d7h"
    assert duration_text(3600 + 30) == "1h"
    assert duration_text(2220) == "37m"
    assert duration_text(45) == "45s"
    assert duration_text(0) == "0s"
    assert duration_text(None) == "-"


def test_every_page_shows_times_in_the_display_zone_and_machines_read_utc(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    result = run_cli(["-C", repo.path, "--tz", "Europe/Berlin", "site", "build", "--at", AT,
                      "--out", out])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    pages = {name: text for name, text in every_file(out).items() if name.endswith(".html")}
    assert {"index.html", "status/index.html", "incidents/INC-2026-0001.html",
            "customers/canary-customer-acme.html"} <= set(pages)  # fmt: skip
    for name, text in pages.items():
        assert "Times are in Europe/Berlin." in text, name
        # as of 12:00 UTC = 14:00 in Berlin in April (summer time)
        assert 'datetime="2026-04-05T12:00:00Z">2026-04-05 14:00 CEST</time>' in text, name
        assert "T12:00:00Z</time>" not in text, name
    # U2 at 10:40 UTC on the status page; the SEV3 of March in winter time
    status = pages["status/index.html"]
    assert '<time datetime="2026-04-05T10:40:00Z">2026-04-05 12:40 CEST</time>' in status
    assert '<time datetime="2026-03-10T09:00:00Z">2026-03-10 10:00 CET</time>' in status
    # the timeline and the changes of an incident's page, and a declared instant in text
    incident = pages["incidents/INC-2026-0001.html"]
    assert "status open from 2026-04-05 12:00 CEST" in incident
    assert '<tr><td><time datetime="2026-04-05T10:06:00Z">2026-04-05 12:06 CEST</time>' in (
        incident
    )
    # machine-readable outputs stay in UTC
    summary = json.loads(every_file(out)["status/api/v2/summary.json"])
    assert summary["page"]["time_zone"] == "Etc/UTC"
    assert summary["incidents"][0]["created_at"] == "2026-04-05T10:00:00Z"
    assert "<updated>2026-04-05T10:40:00Z</updated>" in every_file(out)["status/history.atom"]


def test_the_configured_zone_reaches_the_one_file_report(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    (repo.path / "incidentctl.yaml").write_text(
        "apiVersion: incidentctl/v1\nkind: Config\ntimezone: America/New_York\n", encoding="utf-8"
    )
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html"])
    assert result.exit_code == 0, result.stderr
    assert "Times are in America/New_York." in result.stdout
    assert '<time id="as-of" datetime="2026-04-05T12:00:00Z">2026-04-05 08:00 EDT</time>' in (
        result.stdout
    )
    # the environment overrides the file, and --tz both
    env = {"INCIDENTCTL_TIMEZONE": "Asia/Kolkata"}
    result = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html"], env=env)
    assert "2026-04-05 17:30 IST</time>" in result.stdout
    result = run_cli(
        ["-C", repo.path, "--tz", "UTC", "report", "--at", AT, "--format", "html"], env=env
    )
    assert "Times are in UTC." in result.stdout and "2026-04-05 12:00 UTC</time>" in result.stdout


def test_cards_name_the_median_and_p90_beside_the_mean() -> None:
    from incidentctl.report.metrics import Stat
    from incidentctl.site.dashboard import stat_detail

    # nearest rank: of ten values, the ninth is the p90
    assert stat_detail(Stat.of([60.0 * n for n in range(1, 11)])) == (
        "median 5m30s · p90 9m · n=10"
    )
    assert stat_detail(Stat.of([])) == "n=0"


def test_customers_names_go_in_any_case_and_contacts_names_as_written() -> None:
    from incidentctl.model import Customer
    from incidentctl.site.status import visibility

    acme = Customer.model_validate({
        "apiVersion": "incidentctl/v1", "kind": "Customer", "name": "acme",
        "display_name": "Acme Bank (EU)", "status_page": "public",
        "contacts": [{"name": "Operations", "email": "ops@acme.example"}],
    })  # fmt: skip
    seen = visibility(None, {"acme": acme})
    assert seen.shows("acme") and not seen.shows("globex") and seen.shows(None)
    assert seen.scrub(
        "ACME BANK (eu) and acme: Operations (OPS@acme.example) keep our operations going; "
        "acmelike words stay."
    ) == "[customer] and [customer]: [customer] ([customer]) keep our operations going; " + (
        "acmelike words stay."
    )


def test_the_90_days_are_days_of_the_display_zone(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    out = tmp_path / "public"
    result = run_cli(["-C", repo.path, "--tz", "Pacific/Kiritimati", "site", "build", "--at", AT,
                      "--out", out, "--public"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    # --at is 2026-04-06 02:00 at UTC+14: the 90 days end on the 6th there
    assert 'data-day="2026-04-06"' in page and 'data-day="2026-01-07"' in page
    assert 'data-day="2026-01-06"' not in page
    # the SEV3 of 09:00-11:00 UTC on 10 March ran from 23:00 on the 10th to 01:00 on the 11th
    assert 'data-day="2026-03-10" data-impact="minor"' in page
    assert 'data-day="2026-03-11" data-impact="minor"' in page
    assert 'data-day="2026-03-12" data-impact="none"' in page


def test_a_public_name_is_shown_as_chosen_even_when_it_has_a_customer_s_name(
    run_cli: RunCli, repo: Repo, tmp_path: Path
) -> None:
    service = "apiVersion: incidentctl/v1\nkind: Service\nname: {}\npublic_name: {}\nowner: '@o'\n"
    repo.apply(Commit("2026-04-05T11:00:00Z", files={
        "services/payments-api.yaml": service.format("payments-api", "Acme payments"),
        "customers/acme.yaml": "apiVersion: incidentctl/v1\nkind: Customer\nname: acme\n",
    }))  # fmt: skip
    out = tmp_path / "public"
    build(run_cli, repo, out, "--public")
    summary = json.loads((out / "api/v2/summary.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in summary["components"]] == ["Acme payments"]
