"""Each validation rule, passing and failing, through ``incidentctl validate``.

Every case starts from the minimal valid repository of ``test_validate_cli.MiniRepo``
(one incident, the standard SLA policy, its calendar and the DefectPolicy), changes
one file, and asserts the exact rendered lines and the exit code.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from incidentctl.rules import REGISTRY, Rule
from test_validate_cli import (
    DEFECTS,
    EMEA,
    INC,
    NEW,
    STANDARD,
    MiniRepo,
    assert_problems,
    assert_valid,
)

if TYPE_CHECKING:
    from conftest import RunCli

RCA = "incidents/2026/INC-2026-0001.rca.yaml"
GOLD = "policies/sla/gold.yaml"

RULES_UNDER_TEST = [
    "id-file-name",
    "unique-name",
    "rca-incident",
    "calendar-ref",
    "business-days",
    "sla-policy-match",
    "workaround-required",
    "resolution-required",
    "commander-required",
    "updates-order",
    "defect-keys",
    "rca-published",
    "defect-route",
    "tracker-fields",
]


@pytest.fixture
def repo(tmp_path: Path, run_cli: RunCli) -> MiniRepo:
    return MiniRepo(tmp_path / "repo", run_cli)


def other_incident(repo: MiniRepo, path: str, incident_id: str) -> None:
    """A copy of the base incident under ``path`` with ``id: incident_id``."""
    text = (repo.root / INC).read_text(encoding="utf-8")
    repo.write(path, text.replace("id: INC-2026-0001", f"id: {incident_id}"))


# -- the registry -------------------------------------------------------------------------


def test_every_rule_under_test_is_registered() -> None:
    assert set(RULES_UNDER_TEST) <= {rule.id for rule in REGISTRY}


@pytest.mark.parametrize("rule", REGISTRY, ids=lambda rule: rule.id)
def test_each_rule_module_documents_a_passing_and_a_failing_example(rule: Rule) -> None:
    module = importlib.import_module(rule.check.__module__)
    assert module.__name__.rsplit(".", 1)[-1] == rule.id.replace("-", "_"), (
        "a rule's module is named after its id"
    )
    doc = module.__doc__ or ""
    assert doc.startswith(f"``{rule.id}``: "), "the docstring opens with the rule's id"
    assert "\nPassing" in doc
    assert "\nFailing" in doc


# -- id-file-name -------------------------------------------------------------------------


def test_id_file_name_passes_for_ids_that_match_their_files(repo: MiniRepo) -> None:
    other_incident(repo, "incidents/2025/INC-2025-0007.yaml", "INC-2025-0007")
    assert_valid(repo.validate(), files=5)


def test_id_file_name_fails_when_the_id_differs_from_the_file_name(repo: MiniRepo) -> None:
    other_incident(repo, NEW, "INC-2026-0003")
    assert_problems(
        repo.validate(),
        f"{NEW}:3:1: error id-file-name id 'INC-2026-0003' differs from the file name: rename "
        "the file to INC-2026-0003.yaml or set id: INC-2026-0002",
        files=5,
    )


def test_id_file_name_fails_when_two_files_share_an_id(repo: MiniRepo) -> None:
    other_incident(repo, "incidents/old/INC-2026-0001.yaml", "INC-2026-0001")
    assert_problems(
        repo.validate(),
        f"{INC}:3:1: error id-file-name id INC-2026-0001 is also used by "
        "incidents/old/INC-2026-0001.yaml: ids are unique, so give one of them the next free id",
        "incidents/old/INC-2026-0001.yaml:3:1: error id-file-name id INC-2026-0001 is also used "
        f"by {INC}: ids are unique, so give one of them the next free id",
        files=5,
    )


# -- unique-name --------------------------------------------------------------------------

GOLD_POLICY = """\
    apiVersion: incidentctl/v1
    kind: SLAPolicy
    name: gold
    priority: 10
    applies_to:
      customers: [acme]
    targets:
      SEV1: {acknowledge: 5m, resolve: 2h}
      SEV2: {resolve: 4h}
      SEV3: {resolve: 1d}
    """


def test_unique_name_passes_for_distinct_names(repo: MiniRepo) -> None:
    repo.write(GOLD, GOLD_POLICY)
    assert_valid(repo.validate(), files=5)


def test_unique_name_fails_for_two_calendars_of_one_name(repo: MiniRepo) -> None:
    copy = "policies/calendars/copy.yaml"
    repo.write(copy, (repo.root / EMEA).read_text(encoding="utf-8"))
    assert_problems(
        repo.validate(),
        f"{copy}:3:1: error unique-name Calendar name 'emea-support' is also used by {EMEA}: "
        "names are unique per kind, so rename one of them",
        f"{EMEA}:3:1: error unique-name Calendar name 'emea-support' is also used by {copy}: "
        "names are unique per kind, so rename one of them",
        files=5,
    )


def test_unique_name_fails_for_a_calendar_named_like_the_builtin(repo: MiniRepo) -> None:
    repo.edit(EMEA, "name: emea-support", "name: 24x7")
    repo.edit(STANDARD, "calendar: emea-support", "calendar: 24x7")
    assert_problems(
        repo.validate(),
        f"{EMEA}:3:1: error unique-name 24x7 is built in: choose another name",
    )


# -- rca-incident -------------------------------------------------------------------------

DRAFT_RCA = """\
    apiVersion: incidentctl/v1
    kind: RCA
    incident: INC-2026-0001
    status: draft
    """


def test_rca_incident_passes_for_an_rca_of_an_existing_incident(repo: MiniRepo) -> None:
    repo.write(RCA, DRAFT_RCA)
    assert_valid(repo.validate(), files=5)


def test_rca_incident_fails_for_an_incident_that_does_not_exist(repo: MiniRepo) -> None:
    repo.write(
        RCA,
        DRAFT_RCA.replace("incident: INC-2026-0001", "incidents: [INC-2026-0001, INC-2026-0099]"),
    )
    assert_problems(
        repo.validate(),
        f"{RCA}:3:28: error rca-incident incident INC-2026-0099 does not exist: there is no "
        "INC-2026-0099.yaml under incidents/; check the id",
        files=5,
    )


def test_rca_incident_fails_for_a_file_named_after_another_incident(repo: MiniRepo) -> None:
    other_incident(repo, NEW, "INC-2026-0002")
    repo.write(RCA, DRAFT_RCA.replace("INC-2026-0001", "INC-2026-0002"))
    assert_problems(
        repo.validate(),
        f"{RCA}:3:1: error rca-incident the file is named after INC-2026-0001, which this RCA "
        "does not cover: name it INC-2026-0002.rca.yaml",
        files=6,
    )


def test_rca_incident_fails_for_a_second_rca_file_of_the_same_incident(repo: MiniRepo) -> None:
    other = "incidents/old/INC-2026-0001.rca.yaml"
    repo.write(RCA, DRAFT_RCA)
    repo.write(other, DRAFT_RCA)
    result = repo.validate()
    assert result.exit_code == 1
    assert (
        f"{RCA}:2:1: error rca-incident INC-2026-0001 has another RCA file, {other}: keep one "
        "RCA per incident"
    ) in result.stdout


def test_rca_incident_fails_for_an_rca_not_named_id_rca_yaml(repo: MiniRepo) -> None:
    misnamed = "incidents/2026/INC-2026-0001-rca.yaml"
    repo.write(misnamed, DRAFT_RCA)
    result = repo.validate()
    assert result.exit_code == 1
    assert (
        f"{misnamed}:2:1: error rca-incident an RCA's file is named ID.rca.yaml: rename it to "
        "INC-2026-0001.rca.yaml"
    ) in result.stdout


# -- calendar-ref -------------------------------------------------------------------------


def test_calendar_ref_passes_for_existing_calendars_and_unions(repo: MiniRepo) -> None:
    repo.write(
        "policies/calendars/follow-the-sun.yaml",
        """\
        apiVersion: incidentctl/v1
        kind: Calendar
        name: follow-the-sun
        union: [emea-support]
        """,
    )
    repo.edit(STANDARD, "calendar: emea-support", "calendar: follow-the-sun")
    assert_valid(repo.validate(), files=5)


def test_calendar_ref_fails_for_a_calendar_that_does_not_exist(repo: MiniRepo) -> None:
    repo.edit(STANDARD, "calendar: emea-support", "calendar: emea")
    assert_problems(
        repo.validate(),
        f"{STANDARD}:13:5: error calendar-ref calendar 'emea' does not exist: use one of "
        "24x7, emea-support, or add a Calendar named so",
    )


def test_calendar_ref_fails_for_a_circular_union_and_a_bad_timezone(repo: MiniRepo) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        repo.write(
            f"policies/calendars/{name}.yaml",
            f"""\
            apiVersion: incidentctl/v1
            kind: Calendar
            name: {name}
            union: [{other}]
            """,
        )
    repo.edit(EMEA, "Europe/Berlin", "Europe/Atlantis")
    assert_problems(
        repo.validate(),
        "policies/calendars/a.yaml:4:1: error calendar-ref the union is circular: a -> b -> a: "
        "a union joins calendars with hours, never itself",
        "policies/calendars/b.yaml:4:1: error calendar-ref the union is circular: b -> a -> b: "
        "a union joins calendars with hours, never itself",
        f"{EMEA}:4:1: error calendar-ref timezone 'Europe/Atlantis' is not an IANA time zone "
        "such as Europe/Berlin or America/New_York",
        files=6,
    )


def test_calendar_ref_and_a_calendar_file_that_failed_to_load(repo: MiniRepo) -> None:
    repo.edit(EMEA, "timezone: Europe/Berlin", "timezone: Europe/Berlin\nholidys: []")
    # Validating everything, the broken calendar is reported, not what follows from it ...
    assert_problems(
        repo.validate(),
        f"{EMEA}:5:1: error schema unknown key 'holidys': did you mean 'holidays'? (allowed "
        "keys are apiVersion, kind, name, description, timezone, hours, holidays, union)",
    )
    # ... and validating the policy alone, the consequence names the broken file.
    assert_problems(
        repo.validate(STANDARD),
        f"{STANDARD}:13:5: error calendar-ref calendar 'emea-support' does not exist: use one "
        f"of 24x7, or add a Calendar named so ({EMEA} could not be loaded: fix it first)",
        files=1,
    )


# -- business-days ------------------------------------------------------------------------


def test_business_days_passes_for_days_on_the_24x7_calendar(repo: MiniRepo) -> None:
    repo.edit(STANDARD, "resolve: 8h", "resolve: 2d")
    assert_valid(repo.validate())


def test_business_days_fails_for_days_on_a_business_calendar(repo: MiniRepo) -> None:
    repo.edit(STANDARD, "resolve: 24h", "resolve: 1w")
    assert_problems(
        repo.validate(),
        f"{STANDARD}:14:5: error business-days resolve: 1w counts days on the business-hours "
        "calendar 'emea-support', where a day is ambiguous: write the target in business "
        "hours (three 8-hour days are 24h) or use calendar 24x7",
    )


# -- sla-policy-match ---------------------------------------------------------------------


def test_sla_policy_match_passes_when_a_higher_priority_policy_wins(repo: MiniRepo) -> None:
    repo.write(GOLD, GOLD_POLICY)
    repo.edit(INC, "environment: production", "environment: production\ncustomer: acme")
    assert_valid(repo.validate(), files=5)


def test_sla_policy_match_passes_for_nonproduction_without_a_policy(repo: MiniRepo) -> None:
    repo.edit(STANDARD, "name: standard", "name: standard\napplies_to: {customers: [acme]}")
    repo.edit(INC, "environment: production", "environment: non-production")
    assert_valid(repo.validate())


def test_sla_policy_match_fails_when_no_policy_applies(repo: MiniRepo) -> None:
    repo.edit(STANDARD, "name: standard", "name: standard\napplies_to: {customers: [acme]}")
    assert_problems(
        repo.validate(),
        f"{INC}:8:1: error sla-policy-match no SLA policy applies to this production incident "
        "(customer none, services checkout): add a policy whose applies_to matches, or a "
        "default policy without applies_to",
    )


def test_sla_policy_match_fails_for_a_tie(repo: MiniRepo) -> None:
    repo.write(GOLD, GOLD_POLICY.replace("priority: 10", "priority: 0"))
    repo.edit(INC, "environment: production", "environment: production\ncustomer: acme")
    assert_problems(
        repo.validate(),
        f"{INC}:9:1: error sla-policy-match SLA policies gold, standard all match with "
        "priority 0: give one of them a higher priority",
        files=5,
    )


def test_sla_policy_match_fails_for_a_severity_without_targets(repo: MiniRepo) -> None:
    repo.edit(INC, "severity: SEV3", "severity: SEV4")
    assert_problems(
        repo.validate(),
        f"{INC}:6:1: error sla-policy-match SLA policy 'standard' has no targets for SEV4: "
        "add targets.SEV4 to it",
    )


# -- workaround-required ------------------------------------------------------------------


def test_workaround_required_passes_with_a_workaround(repo: MiniRepo) -> None:
    repo.edit(INC, "status: open", "status: mitigated\nworkaround: Traffic moved to EU-West")
    assert_valid(repo.validate())


def test_workaround_required_fails_without_one(repo: MiniRepo) -> None:
    repo.edit(INC, "status: open", "status: mitigated")
    assert_problems(
        repo.validate(),
        f"{INC}:7:1: error workaround-required status mitigated needs a workaround: describe "
        "it under workaround:",
    )


# -- resolution-required ------------------------------------------------------------------


DUPLICATE = "resolution:\n  kind: duplicate\n  summary: Same outage\n"


def test_resolution_required_passes_with_a_resolution(repo: MiniRepo) -> None:
    other_incident(repo, NEW, "INC-2026-0002")
    repo.edit(INC, "status: open", "status: closed")
    repo.append(INC, "resolution: {kind: fixed, summary: Rolled back 4.2.1}\n")
    repo.edit(NEW, "status: open", "status: cancelled")
    repo.append(NEW, DUPLICATE + "  duplicate_of: INC-2026-0001\n")
    assert_valid(repo.validate(), files=5)


def test_resolution_required_fails_without_one(repo: MiniRepo) -> None:
    repo.edit(INC, "status: open", "status: resolved")
    assert_problems(
        repo.validate(),
        f"{INC}:7:1: error resolution-required status resolved needs a resolution: add "
        "resolution: {kind: fixed|workaround|duplicate|false-alarm, summary: ...}",
    )


def test_resolution_required_fails_for_a_bad_duplicate(repo: MiniRepo) -> None:
    other_incident(repo, NEW, "INC-2026-0002")
    repo.edit(INC, "status: open", "status: cancelled")
    repo.append(INC, DUPLICATE)
    repo.edit(NEW, "status: open", "status: cancelled")
    repo.append(NEW, DUPLICATE + "  duplicate_of: INC-2026-0404\n")
    assert_problems(
        repo.validate(),
        f"{INC}:18:3: error resolution-required a duplicate names the incident it duplicates: "
        "add duplicate_of: INC-...",
        f"{NEW}:20:3: error resolution-required duplicate_of names INC-2026-0404, which does "
        "not exist under incidents/: check the id",
        files=5,
    )


# -- commander-required -------------------------------------------------------------------


def test_commander_required_passes_with_a_commander_or_before_acknowledge(
    repo: MiniRepo,
) -> None:
    repo.edit(INC, "severity: SEV3", "severity: SEV1")
    assert_valid(repo.validate())  # an open SEV1 needs none yet
    repo.edit(INC, "status: open", 'status: acknowledged\nroles: {commander: "@dana"}')
    assert_valid(repo.validate())


def test_commander_required_fails_without_one(repo: MiniRepo) -> None:
    repo.edit(INC, "severity: SEV3", "severity: SEV2")
    repo.edit(INC, "status: open", "status: acknowledged")
    assert_problems(
        repo.validate(),
        f"{INC}:7:1: error commander-required a SEV2 incident that is acknowledged needs an "
        "incident commander: set roles.commander to a handle such as @alice",
    )
    repo.edit(INC, "status: acknowledged", 'status: acknowledged\nroles: {communications: "@bo"}')
    assert_problems(
        repo.validate(),
        f"{INC}:8:1: error commander-required a SEV2 incident that is acknowledged needs an "
        "incident commander: set roles.commander to a handle such as @alice",
    )


# -- updates-order ------------------------------------------------------------------------

SECOND_UPDATE = """\
  - at: 2026-03-02T10:35:00+01:00
    audience: customer
    text: Fix deployed
"""


def test_updates_order_passes_for_updates_in_time_order(repo: MiniRepo) -> None:
    repo.append(INC, SECOND_UPDATE.replace("10:35:00+01:00", "11:35:00+01:00"))
    assert_valid(repo.validate())


def test_updates_order_fails_for_an_update_earlier_than_the_one_before(repo: MiniRepo) -> None:
    repo.append(INC, SECOND_UPDATE)  # 09:35Z, after one at 10:05Z
    assert_problems(
        repo.validate(),
        f"{INC}:17:5: error updates-order update at 2026-03-02T09:35:00Z is earlier than the "
        "one before it (2026-03-02T10:05:00Z): keep updates in time order",
    )


def test_updates_order_fails_for_an_update_in_the_future(repo: MiniRepo) -> None:
    repo.append(INC, SECOND_UPDATE.replace("10:35:00+01:00", "13:35:00+01:00"))
    assert_problems(
        repo.validate(now="2026-03-02T12:00:00Z"),
        f"{INC}:17:5: error updates-order update at 2026-03-02T12:35:00Z is in the future "
        "(now is 2026-03-02T12:00:00Z): fix its time",
    )


# -- defect-keys and defect-route ---------------------------------------------------------

TWO_DEFECTS = """\
defects:
  - key: payment-timeout
    title: Payment calls time out after 5 s
    service: checkout
    fix: hotfix
  - key: retry-storm
    title: Clients retry without backoff
    service: checkout
"""


def test_defect_keys_and_routes_pass_for_distinct_routed_defects(repo: MiniRepo) -> None:
    repo.append(INC, TWO_DEFECTS)
    assert_valid(repo.validate())


def test_defect_keys_fails_for_a_key_used_twice(repo: MiniRepo) -> None:
    repo.append(INC, TWO_DEFECTS.replace("retry-storm", "payment-timeout"))
    assert_problems(
        repo.validate(),
        f"{INC}:22:5: error defect-keys defect key 'payment-timeout' is already used by "
        "defects[0]: keys are unique within an incident, so rename one of them",
    )


def test_defect_route_fails_for_a_service_no_route_covers(repo: MiniRepo) -> None:
    repo.append(INC, TWO_DEFECTS.replace("service: checkout\n", "service: ledger\n", 1))
    assert_problems(
        repo.validate(),
        f"{INC}:20:5: error defect-route no DefectPolicy route covers service 'ledger', so its "
        "defects have no tracker: add the service to a route's services in "
        "policies/defects.yaml",
    )


def test_defect_route_fails_without_a_defect_policy(repo: MiniRepo) -> None:
    (repo.root / DEFECTS).unlink()
    repo.append(INC, TWO_DEFECTS)
    line = (
        "error defect-route no DefectPolicy route covers service 'checkout', so its defects "
        "have no tracker: add the service to a route's services in policies/defects.yaml"
    )
    assert_problems(repo.validate(), f"{INC}:20:5: {line}", f"{INC}:24:5: {line}", files=3)


def test_tracker_fields_pass_for_titles_and_labels_the_trackers_take(repo: MiniRepo) -> None:
    repo.append(INC, TWO_DEFECTS.replace("Clients retry without backoff", "x" * 256))
    assert_valid(repo.validate())


def test_tracker_fields_fail_for_what_github_or_jira_would_refuse(repo: MiniRepo) -> None:
    long_title = "Clients retry " + "x" * 250
    repo.append(INC, TWO_DEFECTS.replace("Clients retry without backoff", long_title))
    repo.write(
        DEFECTS,
        """\
        apiVersion: incidentctl/v1
        kind: DefectPolicy
        name: defects
        routes:
          - services: [checkout]
            github: acme/shop
          - services: [ledger]
            jira: {project: PAY}
            labels: [needs triage]
        """,
    )
    repo.append(
        INC,
        '  - key: ledger-drift\n    title: "Ledger drifts\\nafter a failover"\n'
        "    service: ledger\n",
    )
    assert_problems(
        repo.validate(),
        f"{INC}:23:5: error tracker-fields the title has 264 characters and GitHub takes at "
        "most 256: shorten it",
        f"{INC}:26:5: error tracker-fields Jira takes a title on one line: write it on one "
        "line (details go elsewhere)",
        f"{DEFECTS}:9:14: error tracker-fields label 'needs triage': Jira labels cannot "
        "contain spaces: write 'needs-triage'",
        files=4,
    )


def test_tracker_fields_fail_for_an_rca_action_the_sync_would_send(repo: MiniRepo) -> None:
    rca = PUBLISHED_RCA_DRAFT.replace("title: Alert on payment latency", "title: " + "y" * 300)
    repo.write(RCA, rca)
    assert_problems(
        repo.validate(),
        f"{RCA}:9:5: error tracker-fields the title has 300 characters and GitHub takes at "
        "most 256: shorten it",
        files=5,
    )


PUBLISHED_RCA_DRAFT = """\
apiVersion: incidentctl/v1
kind: RCA
incident: INC-2026-0001
status: draft
owner: "@dana"
actions:
  - id: A1
    type: fix
    title: Alert on payment latency
    owner: "@erin"
    due: 2026-04-01
"""


# -- rca-published ------------------------------------------------------------------------

PUBLISHED_RCA = """\
apiVersion: incidentctl/v1
kind: RCA
incident: INC-2026-0001
status: published
owner: "@dana"
root_causes:
  - category: config
    description: The payment timeout was set to 500 ms
actions:
  - id: A1
    title: Alert on payment latency
    type: detect
    owner: "@erin"
    due: 2026-04-01
  - id: A2
    title: Review timeouts
    type: process
    status: done
"""


def test_rca_published_passes_for_a_complete_rca(repo: MiniRepo) -> None:
    repo.write(RCA, PUBLISHED_RCA)
    assert_valid(repo.validate(), files=5)


def test_rca_published_fails_without_root_cause_or_action_due(repo: MiniRepo) -> None:
    text = PUBLISHED_RCA.replace("    due: 2026-04-01\n", "").replace(
        "root_causes:\n  - category: config\n"
        "    description: The payment timeout was set to 500 ms\n",
        "",
    )
    repo.write(RCA, text)
    assert_problems(
        repo.validate(),
        f"{RCA}:4:1: error rca-published a published RCA needs at least one root cause: add "
        "root_causes with category and description, or set status back to in-review",
        f"{RCA}:7:5: error rca-published open action 'A1' of a published RCA needs due: add "
        "due to it",
        files=5,
    )
