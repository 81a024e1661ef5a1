"""The example repository (incidents/, policies/) is valid and covers what it should."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from incidentctl.load import Repository, Workspace
from incidentctl.load.yamlio import load_text
from incidentctl.model import KINDS, RCA, Incident, SLAPolicy
from incidentctl.model.types import STATUSES
from incidentctl.schemas import file_name, schema_for

if TYPE_CHECKING:
    from conftest import RunCli

REPO_ROOT = Path(__file__).resolve().parent.parent
# The example data describes the world as of this instant.
AS_OF = datetime(2026, 11, 22, tzinfo=UTC)
ENDED = ("resolved", "closed", "cancelled")


@pytest.fixture(scope="module")
def workspace() -> Workspace:
    return Repository(REPO_ROOT).load()


def _incidents(workspace: Workspace) -> list[Incident]:
    return [model for _, model in workspace.models(Incident)]


def test_the_example_repository_validates_clean(run_cli: RunCli) -> None:
    result = run_cli(["-C", REPO_ROOT, "validate", "--format", "json", "--now", AS_OF.isoformat()])
    report = json.loads(result.stdout)
    assert report["problems"] == []
    assert result.exit_code == 0, result.stderr
    assert report["checked"] >= 16


def test_every_document_loads_and_every_kind_appears(workspace: Workspace) -> None:
    assert [d.path for d in workspace.documents if d.problems] == []
    assert {d.kind for d in workspace.documents} == set(KINDS)


def test_every_status_appears(workspace: Workspace) -> None:
    statuses = {incident.status for incident in _incidents(workspace)}
    assert statuses == set(STATUSES)


def test_every_file_names_its_schema_for_editors(workspace: Workspace) -> None:
    for doc in workspace.documents:
        assert doc.kind is not None
        path = REPO_ROOT / doc.path
        relative = os.path.relpath(REPO_ROOT / "schemas" / file_name(doc.kind), path.parent)
        first, second = doc.text.splitlines()[:2]
        assert first == f"# yaml-language-server: $schema={Path(relative).as_posix()}", doc.path
        assert (path.parent / relative).is_file(), doc.path
        assert second == "apiVersion: incidentctl/v1", doc.path


def test_every_file_passes_its_json_schema(workspace: Workspace) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for doc in workspace.documents:
        assert doc.kind is not None
        validator = jsonschema.Draft202012Validator(
            schema_for(doc.kind), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        errors = [e.message for e in validator.iter_errors(load_text(doc.text))]
        assert errors == [], doc.path


def test_ended_incidents_are_imported_records_in_time_order(workspace: Workspace) -> None:
    ended = [i for i in _incidents(workspace) if i.status in ENDED]
    assert ended
    for incident in ended:
        milestones = incident.milestones
        assert milestones is not None, incident.id
        assert incident.detection.reported_at is not None, incident.id
        if incident.status != "cancelled":
            assert milestones.resolved_at is not None, incident.id
        if incident.status == "closed":
            assert milestones.closed_at is not None, incident.id
        times = [
            t
            for t in (
                incident.detection.impact_started_at,
                incident.detection.reported_at,
                milestones.acknowledged_at,
                milestones.mitigated_at,
                milestones.resolved_at,
                milestones.closed_at,
            )
            if t is not None
        ]
        assert times == sorted(times), incident.id


def test_every_time_is_before_the_examples_instant(workspace: Workspace) -> None:
    for incident in _incidents(workspace):
        reported = incident.detection.reported_at
        assert reported is not None and reported < AS_OF, incident.id
        for update in incident.updates:
            assert reported <= update.at < AS_OF, (incident.id, update.text)
        milestones = incident.milestones
        declared = (
            [getattr(milestones, f) for f in type(milestones).model_fields] if milestones else []
        )
        assert all(t is None or reported <= t < AS_OF for t in declared), incident.id


def test_the_customer_detected_sev1_has_a_published_rca(workspace: Workspace) -> None:
    published = {
        incident_id
        for _, rca in workspace.models(RCA)
        if rca.status == "published"
        for incident_id in rca.incident_ids
    }
    found = [
        i
        for i in _incidents(workspace)
        if i.severity == "SEV1"
        and i.detection.source == "customer"
        and i.detection.channel == "hotline"
        and i.id in published
    ]
    assert found


def test_a_nonprod_defect_and_a_duplicate_are_among_the_examples(workspace: Workspace) -> None:
    incidents = _incidents(workspace)
    assert any(
        i.severity == "NONPROD" and i.environment == "non-production" and i.defects
        for i in incidents
    )
    duplicates = [
        i
        for i in incidents
        if i.status == "cancelled" and i.resolution and i.resolution.duplicate_of
    ]
    assert duplicates
    assert all(d.resolution.duplicate_of in workspace.incidents for d in duplicates if d.resolution)


def test_gold_customers_get_gold_and_everyone_else_standard(workspace: Workspace) -> None:
    policies = [model for _, model in workspace.models(SLAPolicy)]
    gold = next(p for p in policies if p.name == "gold")
    assert gold.applies_to.customers
    for incident in _incidents(workspace):
        found = [
            p
            for p in policies
            if p.applies_to.matches(incident.customer, incident.environment, incident.services)
        ]
        if incident.environment != "production":
            assert found == [], f"{incident.id}: no SLA outside production"
            continue
        chosen = max(found, key=lambda p: p.priority)
        assert [p.priority for p in found].count(chosen.priority) == 1, incident.id
        expected = "gold" if incident.customer in gold.applies_to.customers else "standard"
        assert chosen.name == expected, incident.id
        assert incident.severity in chosen.targets, incident.id
