"""The catalogue (Service, Customer) and the NotificationPolicy, through ``validate``.

Every case starts from the minimal valid repository of ``test_validate_cli.MiniRepo``
and adds catalogue or notification documents; each problem is asserted with its file,
line and column.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from test_validate_cli import (
    DEFECTS,
    INC,
    STANDARD,
    MiniRepo,
    assert_problems,
    assert_valid,
    problems,
)

if TYPE_CHECKING:
    from conftest import RunCli

CHECKOUT = "services/checkout.yaml"
LEDGER = "services/ledger.yaml"
ACME = "customers/acme-bank.yaml"
NOTIFY = "notifications/default.yaml"

SERVICE = """\
    apiVersion: incidentctl/v1
    kind: Service
    name: {name}
    owner: "@acme/{team}"
    tier: 1
    escalation: ["@acme/leads"]
    pagerduty: {{routing_key_env: PD_KEY_{team_upper}}}
    runbook: https://runbooks.example.org/{name}
    """

CUSTOMER = """\
    apiVersion: incidentctl/v1
    kind: Customer
    name: acme-bank
    contract: standard
    contacts:
      - name: Card operations
        email: card-ops@acme-bank.example
    status_page: public
    """

POLICY = """\
    apiVersion: incidentctl/v1
    kind: NotificationPolicy
    name: default
    smtp:
      host: 127.0.0.1
      port: 2525
      security: none
      from: incidents@example.org
    channels:
      room:
        slack: {webhook_url_env: SLACK_URL}
      oncall:
        pagerduty: {routing_key_env: PD_KEY}
      customers:
        email: {audience: customer}
    routes:
      - events: [opened, sla-warning]
        services: [checkout]
        teams: ["@acme/shop"]
        to: [room]
      - events: [opened]
        severities: [SEV1]
        to: [oncall]
      - events: [customer-update]
        customers: [acme-bank]
        to: [customers]
    """


def service(name: str, team: str) -> str:
    return SERVICE.format(name=name, team=team, team_upper=team.upper())


@pytest.fixture
def repo(tmp_path: Path, run_cli: RunCli) -> MiniRepo:
    repo = MiniRepo(tmp_path / "repo", run_cli)
    repo.write(CHECKOUT, service("checkout", "shop"))
    repo.write(LEDGER, service("ledger", "finance"))
    return repo


def test_a_catalogue_that_names_every_service_is_valid(repo: MiniRepo) -> None:
    assert_valid(repo.validate(), files=6)


def test_without_a_catalogue_services_stay_free_text(tmp_path: Path, run_cli: RunCli) -> None:
    bare = MiniRepo(tmp_path / "bare", run_cli)
    bare.edit(INC, "services: [checkout]", "services: [checkotu]")
    bare.edit(DEFECTS, "services: [checkout]", "services: [checkotu]")
    assert_valid(bare.validate())


def test_an_unknown_service_is_located_with_the_nearest_name(repo: MiniRepo) -> None:
    repo.edit(INC, "services: [checkout]", "services: [ledger, chekcout]")
    assert_problems(
        repo.validate(),
        f"{INC}:9:20: error catalogue-ref service 'chekcout' is not in the catalogue: "
        "did you mean 'checkout'?",
        files=6,
    )


def test_an_unknown_service_without_a_near_name_lists_the_catalogue(repo: MiniRepo) -> None:
    repo.edit(INC, "services: [checkout]", "services: [search]")
    assert_problems(
        repo.validate(INC),
        f"{INC}:9:12: error catalogue-ref service 'search' is not in the catalogue: use one of "
        "checkout, ledger, or add it to services/",
        files=1,
    )


def test_defects_and_policies_name_catalogued_services(repo: MiniRepo) -> None:
    repo.append(INC, "defects:\n  - key: k\n    title: T\n    service: ledgr\n")
    repo.edit(DEFECTS, "services: [checkout]", "services: [checkout, ledgr]")
    selector = "applies_to:\n  services: [checkout, checkuot]\n"
    repo.edit(STANDARD, "name: standard\n", f"name: standard\n{selector}")
    assert_problems(
        repo.validate(),
        f"{INC}:20:5: error catalogue-ref service 'ledgr' is not in the catalogue: "
        "did you mean 'ledger'?",
        f"{DEFECTS}:5:26: error catalogue-ref service 'ledgr' is not in the catalogue: "
        "did you mean 'ledger'?",
        f"{STANDARD}:5:24: error catalogue-ref service 'checkuot' is not in the catalogue: "
        "did you mean 'checkout'?",
        files=6,
    )


def test_customers_come_from_the_catalogue_once_it_has_one(repo: MiniRepo) -> None:
    repo.edit(INC, "environment: production\n", "environment: production\ncustomer: acme-bnak\n")
    assert_valid(repo.validate(), files=6)  # no Customer documents yet: free text
    repo.write(ACME, CUSTOMER)
    assert_problems(
        repo.validate(),
        f"{INC}:9:1: error catalogue-ref customer 'acme-bnak' is not in the catalogue: "
        "did you mean 'acme-bank'?",
        files=7,
    )
    repo.edit(INC, "acme-bnak", "acme-bank")
    assert_valid(repo.validate(), files=7)


def test_a_customer_contract_names_an_sla_policy(repo: MiniRepo) -> None:
    repo.write(ACME, CUSTOMER.replace("contract: standard", "contract: standrd"))
    assert_problems(
        repo.validate(ACME),
        f"{ACME}:4:1: error catalogue-ref contract 'standrd' names no SLA policy: "
        "did you mean 'standard'?",
        files=1,
    )


def test_catalogue_documents_are_checked_against_their_schema(repo: MiniRepo) -> None:
    repo.write(LEDGER, service("ledger", "finance").replace("tier: 1", "tier: 7"))
    result = repo.validate(LEDGER)
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{LEDGER}:5:1: error schema tier: 7 is not one of 1, 2, 3, 4")


def test_catalogue_names_are_unique(repo: MiniRepo) -> None:
    repo.write("services/checkout-copy.yaml", service("checkout", "shop"))
    result = repo.validate("services/checkout-copy.yaml")
    assert_problems(
        result,
        "services/checkout-copy.yaml:3:1: error unique-name Service name 'checkout' is also "
        f"used by {CHECKOUT}: names are unique per kind, so rename one of them",
        files=1,
    )


# -- the notification policy ----------------------------------------------------------------


def test_a_notification_policy_is_valid(repo: MiniRepo) -> None:
    repo.write(ACME, CUSTOMER)
    repo.write(NOTIFY, POLICY)
    assert_valid(repo.validate(), files=8)


def test_a_route_to_an_unknown_channel_is_located(repo: MiniRepo) -> None:
    repo.write(NOTIFY, POLICY.replace("to: [room]", "to: [rooom]"))
    assert_problems(
        repo.validate(NOTIFY),
        f"{NOTIFY}:20:10: error notify-config channel 'rooom' is not defined in this policy: "
        "did you mean 'room'?",
        files=1,
    )


def test_unknown_services_teams_and_customers_in_routes(repo: MiniRepo) -> None:
    repo.write(ACME, CUSTOMER)
    text = POLICY.replace("services: [checkout]", "services: [checkout, legder]")
    text = text.replace('teams: ["@acme/shop"]', 'teams: ["@acme/shoop"]')
    text = text.replace("customers: [acme-bank]", "customers: [acme]")
    repo.write(NOTIFY, text)
    assert_problems(
        repo.validate(NOTIFY),
        f"{NOTIFY}:18:26: error catalogue-ref service 'legder' is not in the catalogue: "
        "did you mean 'ledger'?",
        f"{NOTIFY}:19:13: error catalogue-ref team '@acme/shoop' owns no "
        "catalogued service: did you mean 'acme/shop'?",
        f"{NOTIFY}:25:17: error catalogue-ref customer 'acme' is not in the catalogue: "
        "did you mean 'acme-bank'?",
        files=1,
    )


def test_channels_carry_only_what_suits_them(repo: MiniRepo) -> None:
    text = POLICY.replace("events: [customer-update]", "events: [customer-update, sla-breach]")
    text = text.replace("      - events: [opened]\n", "      - events: [opened, rca-published]\n")
    repo.write(NOTIFY, text)
    assert_problems(
        repo.validate(NOTIFY),
        f"{NOTIFY}:23:10: error notify-config channel 'oncall' (pagerduty) cannot carry "
        "rca-published: it takes opened, severity-changed, status-changed; route those "
        "events elsewhere",
        f"{NOTIFY}:26:10: error notify-config channel 'customers' (email, customer audience) "
        "cannot carry sla-breach: it takes customer-update; route those events elsewhere",
        files=1,
    )


def test_missing_secrets_are_reported_only_when_asked(repo: MiniRepo) -> None:
    repo.write(NOTIFY, POLICY)
    assert_valid(repo.validate(NOTIFY), files=1)
    env = {"SLACK_URL": "https://hooks.example/x", "PD_KEY": "k", "PD_KEY_SHOP": "k"}
    result = repo.validate("--secrets", NOTIFY, CHECKOUT, LEDGER, env=env)
    problems = result.stdout.splitlines()[:-1]
    assert problems == [
        f"{LEDGER}:7:13: error notify-config secret PD_KEY_FINANCE (this service's PagerDuty "
        "routing key) is not set in the environment: set it, or remove pagerduty from the "
        "service",
    ]
    assert result.exit_code == 1
    env["PD_KEY_FINANCE"] = "k"
    assert_valid(repo.validate("--secrets", NOTIFY, CHECKOUT, LEDGER, env=env), files=3)
    del env["SLACK_URL"]
    assert_problems(
        repo.validate("--secrets", NOTIFY, env=env),
        f"{NOTIFY}:11:13: error notify-config secret SLACK_URL is not set in the environment: "
        "set it (in CI, as a secret of the deployment environment) or remove what needs it",
        files=1,
    )


def test_a_channel_is_exactly_one_kind(repo: MiniRepo) -> None:
    repo.write(
        NOTIFY,
        POLICY.replace(
            "        slack: {webhook_url_env: SLACK_URL}\n",
            "        slack: {webhook_url_env: SLACK_URL}\n"
            "        webhook: {url_env: U, secret_env: S}\n",
        ),
    )
    result = repo.validate(NOTIFY)
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f"{NOTIFY}:10:3: error schema channels.room: a channel is exactly one of slack, email, "
        "pagerduty or webhook (this one has slack, webhook)"
    )


def test_the_readme_notification_policy_is_valid() -> None:
    from incidentctl.load.yamlio import load_text
    from incidentctl.model import NotificationPolicy

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("kind: NotificationPolicy\n", 1)[1].split("```", 1)[0]
    text = "apiVersion: incidentctl/v1\nkind: NotificationPolicy\n" + textwrap.dedent(block)
    policy = NotificationPolicy.model_validate(load_text(text))
    assert sorted(policy.channels) == ["customers", "incident-room", "managers", "on-call"]


def test_policies_and_routes_select_by_team_and_tier(repo: MiniRepo) -> None:
    """A team or tier selector picks the policy and the defect route by the catalogue:
    the incident's checkout service is @acme/shop's, so the team's policy (which has no
    SEV3 target) is the one chosen, and the ledger defect (tier 1) takes the tier route."""
    selector = 'applies_to:\n  teams: ["@acme/shop"]\npriority: 10\n'
    repo.write(
        "policies/sla/shop.yaml",
        f"apiVersion: incidentctl/v1\nkind: SLAPolicy\nname: shop\n{selector}"
        "targets:\n  SEV1: {resolve: 4h}\n",
    )
    repo.append(INC, "defects:\n  - key: k\n    title: T\n    service: ledger\n")
    repo.edit(
        DEFECTS,
        "routes:\n",
        "routes:\n  - services: {tiers: [1], teams: ['@acme/finance']}\n    jira: {project: FIN}\n",
    )
    assert_problems(
        repo.validate(),
        f"{INC}:6:1: error sla-policy-match SLA policy 'shop' has no targets for SEV3: "
        "add targets.SEV3 to it",
        files=7,
    )
    # Another owner: the team's policy no longer applies, the standard one does.
    repo.edit(CHECKOUT, '"@acme/shop"', '"@acme/web"')
    repo.edit("policies/sla/shop.yaml", '"@acme/shop"', '"@acme/web"')
    repo.edit(CHECKOUT, "tier: 1", "tier: 2")
    repo.edit(DEFECTS, "tiers: [1]", "tiers: [2]")
    assert_problems(
        repo.validate(),
        f"{INC}:6:1: error sla-policy-match SLA policy 'shop' has no targets for SEV3: "
        "add targets.SEV3 to it",
        f"{INC}:20:5: error defect-route no DefectPolicy route covers service 'ledger', so "
        "its defects have no tracker: add the service to a route's services in "
        "policies/defects.yaml",
        files=7,
    )


def test_unknown_teams_and_tiers_in_selectors_are_located(repo: MiniRepo) -> None:
    repo.write(
        "policies/sla/shop.yaml",
        "apiVersion: incidentctl/v1\nkind: SLAPolicy\nname: shop\npriority: 5\n"
        "applies_to:\n  teams: ['@acme/shoop']\ntargets:\n  SEV3: {resolve: 4h}\n",
    )
    repo.edit(DEFECTS, "- services: [checkout]", "- services: {teams: ['@acme/leads']}")
    repo.write(NOTIFY, POLICY.replace('teams: ["@acme/shop"]', "tiers: [4]"))
    result = repo.validate()
    assert problems(result) == [
        f"{NOTIFY}:19:13: warning catalogue-ref no catalogued service has tier 4, so this "
        "selects none yet (tiers in use: 1)",
        f"{DEFECTS}:5:24: error catalogue-ref team '@acme/leads' owns no catalogued service: "
        "did you mean 'acme/shop'?",
        "policies/sla/shop.yaml:6:11: error catalogue-ref team '@acme/shoop' owns no "
        "catalogued service: did you mean 'acme/shop'?",
    ]
    assert result.exit_code == 1


def test_selecting_by_team_without_a_catalogue_is_an_error(tmp_path: Path, run_cli: RunCli) -> None:
    bare = MiniRepo(tmp_path / "bare", run_cli)
    bare.edit(STANDARD, "name: standard\n", "name: standard\napplies_to:\n  tiers: [1]\n")
    assert_problems(
        bare.validate(STANDARD),
        f"{STANDARD}:5:3: error catalogue-ref tiers select catalogued services, and there are "
        "none: add Service documents under services/, or select by services",
        files=1,
    )
