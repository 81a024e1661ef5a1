"""``incidentctl schema`` and the generated schemas kept under ``schemas/``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from incidentctl.model import KINDS
from incidentctl.schemas import all_schemas, file_name, render, schema_files, schema_for

if TYPE_CHECKING:
    from conftest import RunCli

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
FILE_NAMES = [
    "calendar.json",
    "config.json",
    "customer.json",
    "defectpolicy.json",
    "incident.json",
    "notificationpolicy.json",
    "rca.json",
    "service.json",
    "slapolicy.json",
]


def test_the_committed_schemas_are_current() -> None:
    expected = schema_files()
    committed = sorted(p.name for p in SCHEMAS.iterdir())
    assert committed == sorted(expected), "schemas/ holds exactly one file per kind"
    stale = [
        name
        for name, text in expected.items()
        if (SCHEMAS / name).read_text(encoding="utf-8") != text
    ]
    assert not stale, (
        f"stale schemas: {', '.join(stale)}; regenerate them with "
        "`incidentctl schema --write schemas`"
    )


def test_one_file_per_kind_named_after_it() -> None:
    assert sorted(file_name(kind) for kind in KINDS) == FILE_NAMES


@pytest.mark.parametrize("kind", KINDS)
def test_schema_heading(kind: str) -> None:
    schema = schema_for(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://incidentctl.dev/schemas/v1/{kind.lower()}.json"
    assert schema["title"] == f"incidentctl {kind}"
    assert schema["description"]


@pytest.mark.parametrize("kind", KINDS)
def test_editors_can_complete_and_check_the_head_of_a_document(kind: str) -> None:
    schema = schema_for(kind)
    properties = schema["properties"]
    assert properties["apiVersion"]["const"] == "incidentctl/v1"
    assert properties["kind"]["const"] == kind
    assert {"apiVersion", "kind"} <= set(schema["required"])
    assert "api_version" not in properties, "fields appear under their YAML names"


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_keys_are_refused_at_every_level(kind: str) -> None:
    schema = schema_for(kind)
    assert schema["additionalProperties"] is False
    for name, definition in schema.get("$defs", {}).items():
        if definition.get("type") == "object":
            assert definition["additionalProperties"] is False, name


def test_incident_schema_describes_the_vocabularies() -> None:
    schema = schema_for("Incident")
    properties = schema["properties"]
    assert properties["severity"]["enum"] == ["SEV1", "SEV2", "SEV3", "SEV4", "NONPROD"]
    assert "cancelled" in properties["status"]["enum"]
    assert properties["id"]["pattern"] == r"^INC-\d{4}-\d{4,}$"
    commander = schema["$defs"]["Roles"]["properties"]["commander"]["anyOf"][0]
    assert commander["pattern"].startswith("^@?")
    at = schema["$defs"]["Update"]["properties"]["at"]
    assert at["format"] == "date-time"


def test_rendering_is_deterministic_and_ends_with_a_newline() -> None:
    text = render(schema_for("SLAPolicy"))
    assert text.endswith("}\n")
    assert text == render(json.loads(text))
    assert text.splitlines()[1].startswith('  "$comment"'), "keys are sorted, indent 2"


# -- with a JSON Schema validator, as editors use them -----------------------------------


def _validator(kind: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = schema_for(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _example(kind: str) -> dict[str, Any]:
    return {
        "Incident": {
            "apiVersion": "incidentctl/v1",
            "kind": "Incident",
            "id": "INC-2026-0042",
            "title": "Checkout down",
            "summary": "Checkout returns 500.",
            "severity": "SEV1",
            "status": "acknowledged",
            "environment": "production",
            "services": ["payments-api"],
            "detection": {"source": "monitoring", "channel": "monitoring"},
            "roles": {"commander": "@dana"},
            "updates": [{"at": "2026-11-22T10:05:00Z", "audience": "customer", "text": "Looking."}],
        },
        "Calendar": {
            "apiVersion": "incidentctl/v1",
            "kind": "Calendar",
            "name": "emea",
            "timezone": "Europe/Berlin",
            "hours": {"mon-fri": ["09:00-18:00"]},
            "holidays": ["2026-12-25", {"date": "2026-12-26", "name": "Boxing Day"}],
        },
    }[kind]


@pytest.mark.parametrize("kind", ["Incident", "Calendar"])
def test_a_valid_document_passes_a_json_schema_validator(kind: str) -> None:
    errors = list(_validator(kind).iter_errors(_example(kind)))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize(
    ("kind", "change", "culprit"),
    [
        ("Incident", {"kind": "Incidnet"}, "Incident"),
        ("Incident", {"apiVersion": "incidentctl/v2"}, "incidentctl/v1"),
        ("Incident", {"severty": "SEV1"}, "severty"),
        ("Incident", {"severity": "SEV5"}, "SEV5"),
        ("Incident", {"roles": {"commander": "dana smith"}}, "dana smith"),
        ("Incident", {"detection": {"source": "monitoring", "channel": "pager"}}, "pager"),
        ("Calendar", {"hours": {"mon-fri": ["9-18"]}}, "9-18"),
    ],
)
def test_a_json_schema_validator_flags_mistakes(
    kind: str, change: dict[str, Any], culprit: str
) -> None:
    document = {**_example(kind), **change}
    messages = [e.message for e in _validator(kind).iter_errors(document)]
    assert messages
    assert any(culprit in m for m in messages), messages


# -- the command -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Incident", "incident", "INCIDENT", "incident.json"])
def test_prints_the_schema_of_one_kind(run_cli: RunCli, tmp_path: Path, name: str) -> None:
    result = run_cli(["-C", tmp_path, "schema", name])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == render(schema_for("Incident"))
    assert json.loads(result.stdout)["$id"].endswith("/incident.json")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("rca", "RCA"),
        ("slapolicy", "SLAPolicy"),
        ("sla-policy", "SLAPolicy"),
        ("Calendar", "Calendar"),
        ("defect_policy", "DefectPolicy"),
    ],
)
def test_accepts_file_style_names(run_cli: RunCli, tmp_path: Path, name: str, kind: str) -> None:
    result = run_cli(["-C", tmp_path, "schema", name])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["title"] == f"incidentctl {kind}"


def test_without_kind_prints_every_kind_keyed_by_kind(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(["-C", tmp_path, "schema"])
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert sorted(printed) == sorted(KINDS)
    assert printed == json.loads(render(all_schemas()))


def test_an_unknown_kind_is_a_usage_error_that_lists_the_kinds(
    run_cli: RunCli, tmp_path: Path
) -> None:
    result = run_cli(["-C", tmp_path, "schema", "Postmortem"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "'Postmortem'" in result.stderr
    for kind in KINDS:
        assert kind in result.stderr


def test_write_creates_one_file_per_kind(run_cli: RunCli, tmp_path: Path) -> None:
    out = tmp_path / "out" / "schemas"
    umask = os.umask(0o027)
    try:
        result = run_cli(["schema", "--write", str(out)], cwd=tmp_path)
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == FILE_NAMES
    for name in FILE_NAMES:
        assert (out / name).read_text(encoding="utf-8") == (SCHEMAS / name).read_text(
            encoding="utf-8"
        )
        assert f"wrote {out / name}" in result.stdout
        assert (out / name).stat().st_mode & 0o777 == 0o640, "0666 less the umask"


def test_write_is_relative_to_the_working_folder(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(["schema", "Calendar", "--write", "gen"], cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in (tmp_path / "gen").iterdir()] == ["calendar.json"]


def test_write_leaves_current_files_alone_and_replaces_stale_ones(
    run_cli: RunCli, tmp_path: Path
) -> None:
    assert run_cli(["schema", "--write", str(tmp_path)]).exit_code == 0
    stale = tmp_path / "rca.json"
    stale.write_text("{}\n", encoding="utf-8")
    current = tmp_path / "incident.json"
    before = current.stat().st_mtime_ns
    result = run_cli(["schema", "--write", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert f"wrote {stale}" in result.stdout
    assert f"unchanged {current}" in result.stdout
    assert stale.read_text(encoding="utf-8") == render(schema_for("RCA"))
    assert current.stat().st_mtime_ns == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files"


def test_write_into_a_file_is_a_usage_error(run_cli: RunCli, tmp_path: Path) -> None:
    blocker = tmp_path / "schemas"
    blocker.write_text("not a folder\n", encoding="utf-8")
    result = run_cli(["schema", "Incident", "--write", str(blocker)])
    assert result.exit_code == 2
    assert "schemas" in result.stderr
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"
