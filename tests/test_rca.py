"""`incidentctl rca new` and `rca render` on a real Git history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from gitrepo import Commit, Repo, build_repo, incident_yaml, sla_policy_yaml, update

if TYPE_CHECKING:
    from conftest import RunCli

INC = "incidents/2026/INC-2026-0001.yaml"
RCA = "incidents/2026/INC-2026-0001.rca.yaml"
AT = "2026-03-03T09:00:00Z"
DEFECTS = [
    {"key": "pool-size", "title": "Pool shrank to 8", "service": "gateway",
     "tracker": "jira:PAY-12"},
]  # fmt: skip


POLICY = sla_policy_yaml(
    targets={"SEV1": {"resolve": "4h", "rca": "72h"}, "SEV2": {"resolve": "8h"}}
)


def incident(status: str, severity: str = "SEV1") -> str:
    return incident_yaml(
        "INC-2026-0001", status=status, severity=severity, customer="acme",
        impact_started_at="2026-03-02T09:45:00Z", defects=DEFECTS,
        updates=[update("2026-03-02T10:05:00Z", "We are on it.")],
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return build_repo(
        tmp_path / "repo",
        [
            Commit("2026-03-01T00:00:00Z", files={"policies/sla/gold.yaml": POLICY}),
            Commit("2026-03-02T10:00:00Z", files={INC: incident("open")}),
            Commit("2026-03-02T10:05:00Z", files={INC: incident("acknowledged")}),
            # lowered before the resolve: the report's deadline follows the SEV1 it was
            Commit("2026-03-02T11:00:00Z", files={INC: incident("acknowledged", "SEV2")}),
            Commit("2026-03-02T11:30:00Z", files={INC: incident("resolved", "SEV2")}),
        ],
    )


def test_new_scaffolds_a_valid_draft_from_the_history(run_cli: RunCli, repo: Repo) -> None:
    result = run_cli(["-C", repo.path, "rca", "new", "INC-2026-0001", "--at", AT])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == RCA
    text = (repo.path / RCA).read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../../schemas/rca.json"
    # the timeline, as comments, with the commits behind each event
    assert (
        f"#   2026-03-02T10:05:00Z  Status changed from open to acknowledged  ({repo.shas[2][:12]}"
        in text
    )
    assert (
        "#   2026-03-02T11:30:00Z  Status changed from acknowledged to resolved  "
        f"({repo.shas[4][:12]}" in text
    )
    doc = yaml.safe_load(text)
    assert doc["status"] == "draft"
    assert doc["incident"] == "INC-2026-0001"
    assert doc["owner"] == "@alice"  # the commander
    # impact from 09:45 to the resolving commit at 11:30: 1h45m
    assert doc["impact"]["duration"] == "1h45m, from 2026-03-02T09:45:00Z to 2026-03-02T11:30:00Z"
    assert doc["impact"]["customers"] == 1
    assert doc["actions"] == [
        {"id": "pool-size", "title": "Fix: Pool shrank to 8 (gateway)", "type": "fix",
         "status": "open", "tracker": "jira:PAY-12"},
    ]  # fmt: skip
    assert str(doc["follow_up_at"]) == "2026-03-23"  # resolved 2026-03-02 + 3 weeks
    assert doc["resolution"] == "Rolled back the faulty release."
    checked = run_cli(["-C", repo.path, "validate", repo.path / RCA])
    assert checked.exit_code == 0, checked.stdout + checked.stderr


def test_new_never_overwrites(run_cli: RunCli, repo: Repo) -> None:
    target = repo.path / RCA
    target.write_text("# mine\n", encoding="utf-8")
    result = run_cli(["-C", repo.path, "rca", "new", "INC-2026-0001", "--at", AT])
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert target.read_text(encoding="utf-8") == "# mine\n"


def test_new_refuses_an_unknown_incident(run_cli: RunCli, repo: Repo) -> None:
    result = run_cli(["-C", repo.path, "rca", "new", "INC-2026-0999", "--at", AT])
    assert result.exit_code == 2
    assert "INC-2026-0999" in result.stderr
    assert not (repo.path / "incidents/2026/INC-2026-0999.rca.yaml").exists()


FILLED = {
    "summary": "Payments failed | for <b>acme</b>.",
    "impact": {"customers": 1, "transactions": 3412, "money": "EUR 412380",
               "duration": "1h45m", "description": "Declines."},
    "trigger": "Release 7.14.0.",
    "root_causes": [{"category": "config", "description": "Pool default lowered."}],
    "actions": [
        {"id": "A1", "title": "Roll back", "type": "mitigate", "owner": "@bob",
         "due": "2026-03-02", "status": "done"},
        {"id": "A2", "title": "Alert per issuer", "type": "detect", "owner": "@carol",
         "due": "2026-03-20"},
    ],
    "follow_up_at": "2026-03-23",
}  # fmt: skip


def test_render_gives_the_executive_report(run_cli: RunCli, repo: Repo) -> None:
    assert run_cli(["-C", repo.path, "rca", "new", "INC-2026-0001", "--at", AT]).exit_code == 0
    path = repo.path / RCA
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc.update(FILLED)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = run_cli(["-C", repo.path, "rca", "render", "INC-2026-0001", "--at", AT])
    assert result.exit_code == 0, result.stderr
    md = result.stdout
    for heading in ("Summary", "Impact", "Root causes", "Corrective actions",
                    "Preventive measures", "Follow-up", "Timeline"):  # fmt: skip
        assert f"\n## {heading}\n" in md, heading
    assert "| transactions affected | 3412 |" in md
    assert "- config: Pool default lowered." in md
    assert "| A1 | Roll back | mitigate | @bob | 2026-03-02 | done | - |" in md
    assert "| A2 | Alert per issuer | detect | @carol | 2026-03-20 | open | - |" in md
    # resolved at 11:30 on 2026-03-02: the report is due 3d later, as `sla` says
    assert "- **Report due (3d after resolution):** 2026-03-05T11:30:00Z" in md
    sla = json.loads(run_cli(["-C", repo.path, "sla", "--at", AT, "--format", "json"]).stdout)
    [rca] = [m for m in sla["incidents"][0]["metrics"] if m["metric"] == "rca"]
    assert rca["due_at"] == "2026-03-05T11:30:00Z"
    assert (
        "| 2026-03-02T11:30:00Z | Status changed from acknowledged to resolved | "
        f"{repo.shas[4][:12]} |" in md
    )
    assert "Payments failed \\| for &lt;b>acme&lt;/b>." in md  # no tag can open
    page = run_cli(["-C", repo.path, "rca", "render", "INC-2026-0001", "--at", AT,
                    "--format", "html"]).stdout  # fmt: skip
    assert page.startswith("<!DOCTYPE html>")
    assert "<b>acme</b>" not in page and "&lt;b&gt;acme&lt;/b&gt;" in page
    assert '<section id="preventive-measures">' in page


def test_render_without_an_rca_says_how_to_make_one(run_cli: RunCli, repo: Repo) -> None:
    result = run_cli(["-C", repo.path, "rca", "render", "INC-2026-0001"])
    assert result.exit_code == 2
    assert "rca new INC-2026-0001" in result.stderr
