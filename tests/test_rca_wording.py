"""``rca new`` writes what a person would: the detection sentence and the timeline read
well for every combination of present and missing fields, and nothing reads like a
placeholder (``-``, ``->``, ``None``) or says the same thing twice."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import pytest
import yaml

from gitrepo import Commit, build_repo, incident_yaml, sla_policy_yaml
from incidentctl.history.model import CustomerUpdate, IncidentState
from incidentctl.model.incident import Detection, DetectionSource
from incidentctl.report.wording import changes, detection

if TYPE_CHECKING:
    from conftest import RunCli

SOURCES = get_args(DetectionSource)
CHANNELS = get_args(Detection.model_fields["channel"].annotation)
REPORTED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
STARTED = datetime(2026, 3, 2, 9, 40, tzinfo=UTC)


def awkward(text: str) -> list[str]:
    """What a careful writer would not leave in a sentence."""
    found = []
    if re.search(r"(?<!\w)-(?!\w)|->|\bNone\b|\bnull\b", text):
        found.append("a placeholder or an arrow")
    if "  " in text or " ," in text or " ." in text or ",," in text:
        found.append("stray spacing or punctuation")
    words = re.findall(r"[a-z]+", text.lower())
    if any(a == b for a, b in itertools.pairwise(words)):
        found.append("a word twice in a row")
    if "monitoring" in text and text.count("monitoring") > 1:
        found.append("monitoring twice")
    if text[:1] != text[:1].upper():
        found.append("no capital")
    return found


@pytest.mark.parametrize(
    ("source", "channel", "customer", "reported", "started"),
    list(
        itertools.product(
            SOURCES, CHANNELS, (None, "acme"), (None, REPORTED), (None, STARTED, REPORTED)
        )
    ),
)
def test_the_detection_sentence_reads_well_whatever_is_known(
    source: str,
    channel: str,
    customer: str | None,
    reported: datetime | None,
    started: datetime | None,
) -> None:
    text = detection(source, channel, customer, reported, started)
    assert not awkward(text), (text, awkward(text))
    assert text.endswith(".")
    assert ("acme" in text) == (source == "customer" and customer is not None)
    assert ("after the impact began" in text) == (reported is not None and started == STARTED)
    assert ("as the impact began" in text) == (reported is not None and started == REPORTED)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("monitoring", "monitoring", None, None, None), "Raised by monitoring."),
        (("synthetic", "monitoring", "acme", None, None), "Raised by a synthetic check."),
        (("customer", "hotline", "acme", REPORTED, STARTED),
         "Reported by the customer (acme) on the hotline at 2026-03-02T10:00:00Z, "
         "20m after the impact began."),
        (("customer", "email", None, REPORTED, None),
         "Reported by the customer by email at 2026-03-02T10:00:00Z."),
        (("internal", "chat", None, None, STARTED), "Noticed by our own staff in chat."),
        (("third-party", "other", None, None, None), "Reported by a third party."),
        (("monitoring", "portal", None, None, None),
         "Raised by monitoring through the support portal."),
    ],
)  # fmt: skip
def test_the_detection_sentence(args: tuple, expected: str) -> None:  # type: ignore[type-arg]
    assert detection(*args) == expected


BASE = IncidentState(
    id="INC-2026-0001", title="t", status="open", severity="SEV2", environment="production",
    customer=None, services=("payments",), detection_source="monitoring", reported_at=None,
    impact_started_at=None, commander=None, milestones=(), customer_updates=(),
    defect_keys=(),
)  # fmt: skip
HANDLES = (None, "@alice", "@bob")


@pytest.mark.parametrize(("old", "new"), list(itertools.permutations(HANDLES, 2)))
def test_each_change_of_commander_or_customer_is_a_sentence(
    old: str | None, new: str | None
) -> None:
    before = replace(BASE, commander=old, customer=old and old[1:])
    after = replace(BASE, commander=new, customer=new and new[1:])
    said = list(changes(before, after))
    assert len(said) == 2
    for line in said:
        assert not awkward(line), (line, awkward(line))
    if old is None:
        assert said[1] == f"Commander set to {new}"
    elif new is None:
        assert said[1] == f"Commander {old} removed"
    else:
        assert said[1] == f"Commander changed from {old} to {new}"


def test_the_other_changes_are_sentences() -> None:
    update = CustomerUpdate(REPORTED, "We are on it.")
    opened = replace(BASE, status="acknowledged", customer_updates=(update,),
                     milestones=(("acknowledged_at", REPORTED),))  # fmt: skip
    assert list(changes(None, opened)) == [
        "Opened as SEV2, acknowledged",
        "Declared acknowledged at 2026-03-02T10:00:00Z",
        "1 customer update recorded",
    ]
    later = replace(opened, status="mitigated", severity="SEV1", environment="staging",
                    services=("gateway", "payments", "ledger"), defect_keys=("pool",),
                    customer_updates=(update, CustomerUpdate(REPORTED, "Fixed.")))  # fmt: skip
    assert list(changes(opened, later)) == [
        "Status changed from acknowledged to mitigated",
        "Severity raised from SEV2 to SEV1",
        "Environment changed from production to staging",
        "Services gateway and ledger added",
        "Customer update: Fixed.",
        "Defect pool recorded",
    ]
    lowered = replace(later, severity="SEV3", services=("ledger",))
    assert list(changes(later, lowered)) == [
        "Severity lowered from SEV1 to SEV3",
        "Services gateway and payments removed",
    ]


POLICY = sla_policy_yaml(targets={"SEV2": {"resolve": "8h"}})
INC = "incidents/2026/INC-2026-0001.yaml"
RCA = "incidents/2026/INC-2026-0001.rca.yaml"


@pytest.mark.parametrize("known", ["everything", "little"])
def test_rca_new_writes_prose_with_many_or_few_fields(
    tmp_path: Path, run_cli: RunCli, known: str
) -> None:
    full = known == "everything"
    extra = (
        {"customer": "acme", "source": "customer", "channel": "hotline",
         "impact_started_at": "2026-03-02T09:40:00Z", "reported_at": "2026-03-02T10:00:00Z"}
        if full else {"commander": None}
    )  # fmt: skip
    commits = [
        Commit("2026-03-01T00:00:00Z", files={"policies/sla/gold.yaml": POLICY}),
        Commit("2026-03-02T10:00:00Z", files={INC: incident_yaml(**extra, status="open")}),
    ]
    if full:
        commits += [
            Commit("2026-03-02T10:05:00Z", files={INC: incident_yaml(**extra,
                   status="acknowledged")}),
            Commit("2026-03-02T11:30:00Z", files={INC: incident_yaml(**extra, status="resolved")}),
        ]  # fmt: skip
    repo = build_repo(tmp_path / "repo", commits)
    result = run_cli(["-C", repo.path, "rca", "new", "1", "--at", "2026-03-02T12:00:00Z"])
    assert result.exit_code == 0, result.stderr
    text = (repo.path / RCA).read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    timeline = [line[4:].split("  ")[1] for line in text.splitlines() if line.startswith("#   ")]
    for line in [doc["detection"]["how"], str(doc["impact"]["duration"]), *timeline]:
        assert not awkward(line), (line, awkward(line))
    if full:
        assert doc["owner"] == "@alice"
        assert doc["detection"]["how"] == (
            "Reported by the customer (acme) on the hotline at 2026-03-02T10:00:00Z, "
            "20m after the impact began."
        )
        assert doc["impact"]["duration"] == (
            "1h50m, from 2026-03-02T09:40:00Z to 2026-03-02T11:30:00Z"
        )
        assert timeline == [
            "Opened as SEV2",
            "Status changed from open to acknowledged",
            "Status changed from acknowledged to resolved",
        ]
    else:
        assert "owner" not in doc
        assert doc["detection"]["how"] == "Raised by monitoring at 2026-03-02T10:00:00Z."
        assert doc["impact"]["duration"] == (
            "Since 2026-03-02T10:00:00Z; not resolved as of 2026-03-02T12:00:00Z"
        )
        assert timeline == ["Opened as SEV2"]
    assert run_cli(["-C", repo.path, "validate", repo.path / RCA]).exit_code == 0
