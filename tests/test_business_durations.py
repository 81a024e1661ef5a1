"""A duration measured on a business calendar says so wherever it is shown: 27 business
hours read ``27h business``, never ``1d3h`` (which reads as wall-clock time); a 24x7
target keeps its wall-clock form. The SLA result knows each cycle's calendar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gitrepo import Commit, Repo, build_repo, calendar_yaml, incident_yaml, sla_policy_yaml
from incidentctl.model.types import format_span

if TYPE_CHECKING:
    from conftest import RunCli

BUSINESS = "incidents/2026/INC-2026-0001.yaml"  # SEV2: the office calendar
WALL = "incidents/2026/INC-2026-0002.yaml"  # SEV1: 24x7
TARGETS = {
    "SEV1": {"resolve": "27h"},
    "SEV2": {"resolve": "27h", "calendar": "office"},
}
AT = "2026-11-16T12:00:00Z"  # Monday, 13:00 in Berlin: 3 business hours after 10:00


def business(status: str = "open") -> str:
    return incident_yaml("INC-2026-0001", severity="SEV2", status=status)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-13T07:00:00Z", files={
                "policies/sla/contract.yaml": sla_policy_yaml("contract", targets=TARGETS),
                "policies/calendars/office.yaml": calendar_yaml(
                    "office", timezone="Europe/Berlin", hours={"mon-fri": ["09:00-17:00"]}),
            }),
            Commit("2026-11-16T09:00:00Z", files={
                BUSINESS: business(),
                WALL: incident_yaml("INC-2026-0002", severity="SEV1"),
            }),
        ],
    )  # fmt: skip


def test_format_span() -> None:
    assert format_span(27 * 3600) == "1d3h"
    assert format_span(27 * 3600, business=True) == "27h business"
    assert format_span(27 * 3600 + 1800, business=True, label=False) == "27h30m"
    assert format_span(-90, business=True) == "-1m30s business"
    assert format_span(0, business=True) == "0s business"


def test_the_sla_table_and_markdown_label_business_time(repo: Repo, run_cli: RunCli) -> None:
    table = run_cli(["-C", repo.path, "sla", "--at", AT])
    assert table.exit_code == 0, table.stderr
    rows = {line.split()[0]: line for line in table.stdout.splitlines()[1:3]}
    assert "3h of 27h business" in rows["INC-2026-0001"]
    assert "24h business left" in rows["INC-2026-0001"]
    assert "3h of 1d3h" in rows["INC-2026-0002"] and "1d left" in rows["INC-2026-0002"]
    assert "business" not in rows["INC-2026-0002"]
    markdown = run_cli(["-C", repo.path, "sla", "--at", AT, "--format", "markdown"]).stdout
    assert "| 3h of 27h business | 24h business left |" in markdown


def test_the_json_says_which_calendar_counts(repo: Repo, run_cli: RunCli) -> None:
    board = json.loads(run_cli(["-C", repo.path, "sla", "--at", AT, "--format", "json"]).stdout)
    by_id = {i["id"]: i["metrics"] for i in board["incidents"]}
    [office] = [m for m in by_id["INC-2026-0001"] if m["metric"] == "resolve"]
    [wall] = [m for m in by_id["INC-2026-0002"] if m["metric"] == "resolve"]
    assert (office["calendar"], office["business_time"]) == ("office", True)
    assert office["cycles"][0]["calendar"] == "office"
    assert office["target_seconds"] == 27 * 3600 and office["elapsed_seconds"] == 3 * 3600
    assert (wall["calendar"], wall["business_time"]) == ("24x7", False)


def test_the_pull_request_diff_labels_business_time(repo: Repo, run_cli: RunCli) -> None:
    repo.apply(Commit(AT, branch="fix", files={BUSINESS: business("resolved")}))
    for fmt in ("table", "markdown"):
        result = run_cli(["-C", repo.path, "sla", "--diff", "main...fix", "--at", AT,
                          "--format", fmt])  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert (
            "Merging now resolves INC-2026-0001 after 3h of 27h business: resolve met"
            in result.stdout
        )
        assert "1d3h" not in result.stdout


def test_the_site_and_the_html_report_label_business_time(
    repo: Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    built = run_cli(["-C", repo.path, "site", "build", "--out", site, "--at", AT])
    assert built.exit_code == 0, built.stderr
    pages = {p.name: p.read_text(encoding="utf-8") for p in site.rglob("INC-2026-000*.html")}
    office = next(text for name, text in pages.items() if "0001" in name)
    wall = next(text for name, text in pages.items() if "0002" in name)
    assert ">27h business</td>" in office and ">3h business</td>" in office
    assert ">1d3h</td>" in wall and "business</td>" not in wall
    report = run_cli(["-C", repo.path, "report", "--at", AT, "--format", "html"])
    assert report.exit_code == 0, report.stderr
    assert ">27h business</td>" in report.stdout and ">1d3h</td>" in report.stdout
