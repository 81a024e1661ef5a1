"""``incidentctl new``: the next free id, a valid first file, never an overwrite."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitrepo import Repo, sla_policy_yaml
from incidentctl.cli.main import main
from incidentctl.load import parse_document
from incidentctl.model import Incident
from incidentctl.problems import UsageError
from incidentctl.scaffold import (
    IncidentFields,
    next_incident_id,
    scaffold_incident,
    write_scaffold,
)

NOW = datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
ALL_SEVERITIES = {sev: {"acknowledge": "15m"} for sev in ("SEV1", "SEV2", "SEV3", "SEV4")}
FLAGS = [
    "--title",
    "Checkout: card payments fail",
    "--summary",
    "Card payments time out.",
    "--severity",
    "SEV2",
    "--service",
    "payments",
    "--service",
    "checkout",
    "--source",
    "customer",
    "--channel",
    "hotline",
    "--now",
    "2026-11-22T12:05:00+02:00",
]
FIELDS = IncidentFields(
    title="Payments fail",
    summary="Timeouts",
    severity="SEV1",
    services=("payments",),
    source="monitoring",
    channel="monitoring",
)


def incident_repository(root: Path) -> None:
    """A Git repository (``new`` writes only into one) whose policy applies to everything."""
    if not (root / ".git").exists():
        Repo(root)
    if not (root / "policies").exists():
        policy = root / "policies" / "sla" / "standard.yaml"
        policy.parent.mkdir(parents=True, exist_ok=True)
        policy.write_text(sla_policy_yaml("standard", targets=ALL_SEVERITIES), encoding="utf-8")


def run(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    incident_repository(root)
    with pytest.raises(SystemExit) as done:
        main(["-C", str(root), "new", *args])
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def touch(root: Path, *relatives: str) -> None:
    for relative in relatives:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")


def incident_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("INC-*"))


# -- the next id ---------------------------------------------------------------------------


def test_the_first_id_of_a_year_is_0001(tmp_path: Path) -> None:
    assert next_incident_id(tmp_path, 2026) == "INC-2026-0001"


def test_the_next_id_follows_the_highest_of_its_year_gaps_left_alone(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "incidents/2025/INC-2025-0042.yaml",
        "incidents/2026/INC-2026-0001.yaml",
        "incidents/2026/INC-2026-0004.rca.yaml",  # an RCA whose incident file is gone
        "incidents/archive/INC-2026-0003.yaml",  # subfolders are free
        "incidents/2026/notes.md",
    )
    assert next_incident_id(tmp_path, 2026) == "INC-2026-0005"
    assert next_incident_id(tmp_path, 2025) == "INC-2025-0043"
    assert next_incident_id(tmp_path, 2027) == "INC-2027-0001"


def test_ids_grow_past_four_digits(tmp_path: Path) -> None:
    touch(tmp_path, "incidents/2026/INC-2026-9999.yaml")
    assert next_incident_id(tmp_path, 2026) == "INC-2026-10000"
    touch(tmp_path, "incidents/2026/INC-2026-10000.yaml")
    assert next_incident_id(tmp_path, 2026) == "INC-2026-10001"


def test_files_outside_incidents_do_not_count(tmp_path: Path) -> None:
    touch(tmp_path, "policies/INC-2026-0009.yaml", "INC-2026-0008.yaml")
    assert next_incident_id(tmp_path, 2026) == "INC-2026-0001"


# -- the command ---------------------------------------------------------------------------


def test_new_writes_a_valid_incident_and_prints_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    touch(tmp_path, "incidents/2026/INC-2026-0041.yaml")
    code, out, _ = run(tmp_path, *FLAGS, "--customer", "acme", capsys=capsys)
    assert code == 0
    path = tmp_path / "incidents" / "2026" / "INC-2026-0042.yaml"
    assert Path(out.strip()).resolve() == path.resolve()
    text = path.read_text(encoding="utf-8")
    assert text == (
        "# yaml-language-server: $schema=../../schemas/incident.json\n"
        "apiVersion: incidentctl/v1\n"
        "kind: Incident\n"
        "id: INC-2026-0042\n"
        "title: 'Checkout: card payments fail'\n"
        "summary: Card payments time out.\n"
        "severity: SEV2\n"
        "status: open\n"
        "environment: production\n"
        "customer: acme\n"
        "services:\n"
        "  - payments\n"
        "  - checkout\n"
        "detection:\n"
        "  source: customer\n"
        "  channel: hotline\n"
        "  reported_at: 2026-11-22T10:05:00Z\n"
    )
    doc = parse_document("incidents/2026/INC-2026-0042.yaml", path.read_bytes())
    assert doc.problems == []
    assert isinstance(doc.model, Incident)
    assert doc.model.detection.reported_at == NOW


def test_the_written_file_is_already_formatted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, *FLAGS, capsys=capsys)[0] == 0
    with pytest.raises(SystemExit) as done:
        main(["-C", str(tmp_path), "fmt", "--check"])
    assert done.value.code == 0


def test_a_second_incident_takes_the_next_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, *FLAGS, capsys=capsys)[0] == 0
    assert run(tmp_path, *FLAGS, capsys=capsys)[0] == 0
    assert incident_files(tmp_path) == [
        "incidents/2026/INC-2026-0001.yaml",
        "incidents/2026/INC-2026-0002.yaml",
    ]


def test_the_year_is_the_utc_year_of_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = [*FLAGS[:-1], "2027-01-01T00:30:00+02:00"]  # still 2026 in UTC
    assert run(tmp_path, *flags, capsys=capsys)[0] == 0
    assert incident_files(tmp_path) == ["incidents/2026/INC-2026-0001.yaml"]
    text = (tmp_path / "incidents/2026/INC-2026-0001.yaml").read_text(encoding="utf-8")
    assert "reported_at: 2026-12-31T22:30:00Z\n" in text


def test_nonprod_defaults_to_the_non_production_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = [*FLAGS]
    flags[flags.index("SEV2")] = "NONPROD"
    assert run(tmp_path, *flags, capsys=capsys)[0] == 0
    text = (tmp_path / "incidents/2026/INC-2026-0001.yaml").read_text(encoding="utf-8")
    assert "environment: non-production\n" in text


def test_a_summary_of_several_lines_is_a_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = [*FLAGS]
    flags[flags.index("Card payments time out.")] = "Card payments time out.\nSince 10:00."
    assert run(tmp_path, *flags, capsys=capsys)[0] == 0
    path = tmp_path / "incidents/2026/INC-2026-0001.yaml"
    assert "summary: |\n  Card payments time out.\n  Since 10:00.\nseverity:" in path.read_text(
        encoding="utf-8"
    )
    doc = parse_document("incidents/2026/INC-2026-0001.yaml", path.read_bytes())
    assert isinstance(doc.model, Incident)
    assert doc.model.summary == "Card payments time out.\nSince 10:00."


def test_missing_options_without_a_terminal_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(tmp_path, "--title", "Payments fail", "--severity", "SEV1", capsys=capsys)
    assert code == 2
    assert "missing --summary, --service, --source, --channel" in err
    assert out == ""
    assert incident_files(tmp_path) == []


def test_an_invalid_severity_is_refused_with_the_allowed_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = [*FLAGS]
    flags[flags.index("SEV2")] = "SEV9"
    code, _, err = run(tmp_path, *flags, capsys=capsys)
    assert code == 2
    assert "'--severity': 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4, NONPROD" in err
    assert incident_files(tmp_path) == []


def test_a_blank_title_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = [*FLAGS]
    flags[flags.index("Checkout: card payments fail")] = "   "
    code, _, err = run(tmp_path, *flags, capsys=capsys)
    assert code == 2
    assert "title: must not be empty" in err
    assert incident_files(tmp_path) == []


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    scaffold = scaffold_incident(tmp_path, FIELDS, NOW)
    # Another run of `new` took the same id between choosing it and writing the file.
    scaffold.path.parent.mkdir(parents=True)
    scaffold.path.write_text("# theirs\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"INC-2026-0001\.yaml already exists"):
        write_scaffold(tmp_path, scaffold)
    assert scaffold.path.read_text(encoding="utf-8") == "# theirs\n"


def test_the_schema_path_is_relative_to_the_file(tmp_path: Path) -> None:
    scaffold = scaffold_incident(tmp_path, FIELDS, NOW)
    first = scaffold.text.splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schemas/incident.json"
    schema = first.split("$schema=")[1]
    target = (scaffold.path.parent / schema).resolve()
    assert target == (tmp_path / "schemas" / "incident.json").resolve()


def test_prompts_for_what_is_missing_in_a_terminal(tmp_path: Path) -> None:
    incident_repository(tmp_path)
    main_, terminal = os.openpty()
    answers = "Payments fail\nCard payments time out\nSEV9\nSEV2\napi, web\ncustomer\nportal\n"
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from incidentctl.cli.main import main; main()",
            "-C",
            str(tmp_path),
            "new",
            "--now",
            "2026-11-22T10:05:00Z",
        ],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    os.write(main_, answers.encode())
    output = b""
    try:
        while select.select([main_], [], [], 20)[0]:
            try:
                chunk = os.read(main_, 4096)
            except OSError:  # the terminal closed: the command has ended
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(main_)
        code = process.wait(timeout=20)
    transcript = output.decode(errors="replace")
    assert code == 0, transcript
    assert "Severity" in transcript and "NONPROD" in transcript  # the choices are shown
    assert "'SEV9' is not one of" in transcript  # asked again
    path = tmp_path / "incidents/2026/INC-2026-0001.yaml"
    doc = parse_document("incidents/2026/INC-2026-0001.yaml", path.read_bytes())
    assert doc.problems == []
    assert isinstance(doc.model, Incident)
    assert (doc.model.title, doc.model.severity, doc.model.services) == (
        "Payments fail",
        "SEV2",
        ["api", "web"],
    )
    assert (doc.model.detection.source, doc.model.detection.channel) == ("customer", "portal")


def test_an_id_deleted_from_history_is_not_handed_out_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitrepo import Commit, build_repo, incident_yaml

    gone = "incidents/2026/INC-2026-0003.yaml"
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-20T10:00:00Z", files={gone: incident_yaml("INC-2026-0003")}),
            Commit("2026-11-21T10:00:00Z", delete=[gone]),
        ],
    )
    assert run(repo.path, *FLAGS, capsys=capsys)[0] == 0
    assert incident_files(repo.path) == ["incidents/2026/INC-2026-0004.yaml"]
