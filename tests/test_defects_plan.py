"""Due dates of product defects: hotfix deadlines, the release train, the severity story."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import Commit, build_repo, document_yaml, incident_yaml
from incidentctl.defects.plan import Recorded, defect_due, release_due
from incidentctl.model import DefectPolicy
from incidentctl.model.defects import ReleaseTrain

if TYPE_CHECKING:
    from conftest import RunCli

INC = "incidents/2026/INC-2026-0042.yaml"


def sev(severity: str, **fields: Any) -> dict[str, str]:
    return {INC: incident_yaml("INC-2026-0042", severity=severity, **fields)}


POLICY_FIELDS: dict[str, Any] = {
    "name": "product-defects",
    "routes": [{"services": ["*"], "github": "acme/app"}],
    "fix": {"SEV1": {"hotfix": "48h"}, "SEV2": {"hotfix": "5d"}, "SEV3": "next-release"},
    "release_train": {"first": "2026-01-13", "every": "6w", "freeze": "1w"},
}
POLICY = DefectPolicy.model_validate(
    {"apiVersion": "incidentctl/v1", "kind": "DefectPolicy", **POLICY_FIELDS}
)
TRAIN = POLICY.release_train
assert TRAIN is not None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("recorded", "release"),
    [
        # release 2026-02-24 freezes at 2026-02-17T00:00Z
        ("2026-02-16T23:59:59Z", date(2026, 2, 24)),
        ("2026-02-17T00:00:00Z", date(2026, 4, 7)),  # at the freeze start: too late
        ("2026-02-17T00:00:01Z", date(2026, 4, 7)),
        ("2025-10-01T12:00:00Z", date(2026, 1, 13)),  # before the first release
        ("2026-11-22T10:00:00Z", date(2026, 12, 15)),  # a train anchored long ago
        ("2028-06-01T00:00:00Z", date(2028, 6, 13)),  # 21 trains later
    ],
)
def test_next_release_is_the_first_whose_freeze_starts_after_the_recording(
    recorded: str, release: date
) -> None:
    found, freeze = release_due(at(recorded), TRAIN)
    assert found == release
    assert freeze > at(recorded)
    assert (release - freeze.date()).days == 7


def test_a_train_of_whole_weeks_keeps_its_weekday() -> None:
    train = ReleaseTrain.model_validate({"first": "2026-01-13", "every": "2w", "freeze": "2d"})
    for month in range(1, 13):
        found, _ = release_due(datetime(2027, month, 3, tzinfo=UTC), train)
        assert found.weekday() == date(2026, 1, 13).weekday()


@pytest.mark.parametrize(
    ("severity", "workaround", "own", "due", "why"),
    [
        ("SEV1", False, None, date(2026, 3, 4), "hotfix by 2026-03-04T10:00:00Z"),
        ("SEV1", True, None, date(2026, 3, 4), "SEV1 policy: hotfix within 48h"),
        ("SEV2", False, None, date(2026, 3, 7), "hotfix by 2026-03-07T10:00:00Z"),
        ("SEV2", True, None, date(2026, 4, 7), "SEV2 with a workaround in place"),
        ("SEV3", False, None, date(2026, 4, 7), "freeze starts 2026-03-31T00:00:00Z"),
        ("SEV3", False, "hotfix", date(2026, 3, 4), "fix: hotfix set on the defect"),
        ("SEV1", False, "next-release", date(2026, 4, 7), "fix: next-release set on the defect"),
        ("SEV4", False, None, date(2026, 4, 7), "the policy sets no fix for SEV4"),
    ],
)
def test_the_due_date_follows_the_severity_at_recording(
    severity: str, workaround: bool, own: Any, due: date, why: str
) -> None:
    recorded = Recorded(at("2026-03-02T10:00:00Z"), severity, workaround)
    found, reason = defect_due(POLICY, recorded, own)
    assert found == due
    assert why in reason


def test_a_later_severity_change_governs_from_when_it_landed() -> None:
    recorded = Recorded(
        at("2026-03-02T10:00:00Z"), "SEV3", False, at("2026-03-10T08:00:00Z"), "SEV1", False
    )
    due, why = defect_due(POLICY, recorded, None)
    assert due == date(2026, 3, 12)
    assert "SEV1 since 2026-03-10T08:00:00Z" in why


def test_no_train_means_no_due_date_and_says_so() -> None:
    policy = POLICY.model_copy(update={"release_train": None})
    due, why = defect_due(policy, Recorded(at("2026-03-02T10:00:00Z"), "SEV3", False), None)
    assert due is None and "no release_train" in why


def plan_of(run_cli: RunCli, path: Path) -> dict[str, dict[str, Any]]:
    result = run_cli(["defects", "sync", "--dry-run", "--format", "json"], path)
    assert result.exit_code == 0, result.stderr
    return {i["key"]: i for i in json.loads(result.stdout)["items"]}


DEFECT = {"key": "payment-timeout", "title": "Payments time out", "service": "payments"}


def test_the_severity_in_force_when_the_defect_landed_counts(
    tmp_path: Path, run_cli: RunCli
) -> None:
    policy = {"policies/defects.yaml": document_yaml("DefectPolicy", POLICY_FIELDS, {})}
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-03-02T09:00:00Z", files=policy),
            Commit("2026-03-02T10:00:00Z", files=sev("SEV1")),
            Commit("2026-03-02T11:00:00Z", files=sev("SEV3")),
            Commit("2026-03-02T12:00:00Z", files={INC: incident_yaml(
                "INC-2026-0042", severity="SEV3", defects=[DEFECT])}),
        ],
    )  # fmt: skip
    planned = plan_of(run_cli, repo.path)["payment-timeout"]
    assert planned["due"] == "2026-04-07"
    assert "recorded 2026-03-02T12:00:00Z at SEV3" in planned["why"]


def test_a_sev2_recorded_with_a_workaround_rides_the_train(tmp_path: Path, run_cli: RunCli) -> None:
    policy = {"policies/defects.yaml": document_yaml("DefectPolicy", POLICY_FIELDS, {})}
    mitigated = incident_yaml("INC-2026-0042", severity="SEV2", status="mitigated",
                              defects=[DEFECT])  # fmt: skip
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-03-02T09:00:00Z", files=policy),
            Commit("2026-03-02T10:00:00Z", files=sev("SEV2")),
            Commit("2026-03-02T12:00:00Z", files={INC: mitigated}),
        ],
    )  # fmt: skip
    planned = plan_of(run_cli, repo.path)["payment-timeout"]
    assert planned["due"] == "2026-04-07"
    assert "SEV2 with a workaround in place" in planned["why"]


def test_a_defect_not_yet_on_main_is_skipped_with_a_reason(tmp_path: Path, run_cli: RunCli) -> None:
    policy = {"policies/defects.yaml": document_yaml("DefectPolicy", POLICY_FIELDS, {})}
    repo = build_repo(
        tmp_path / "repo",
        [Commit("2026-03-02T09:00:00Z", files={**policy, INC: incident_yaml("INC-2026-0042")})],
    )
    (repo.path / INC).write_text(incident_yaml("INC-2026-0042", defects=[DEFECT]), encoding="utf-8")
    planned = plan_of(run_cli, repo.path)["payment-timeout"]
    assert planned["outcome"] == "skipped"
    assert "not on the audited branch yet" in planned["message"]
