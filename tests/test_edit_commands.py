"""The editing commands on a file full of comments and odd layout: only the intended
lines change, byte for byte; refused edits leave the file as it was."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitrepo import defect_policy_yaml, incident_yaml, sla_policy_yaml
from incidentctl.edit.commands import ORDERS
from incidentctl.edit.patch import Patch, PatchError
from incidentctl.edit.render import render_scalar
from incidentctl.load.yamlio import load_text

if TYPE_CHECKING:
    from conftest import RunCli

ID = "INC-2026-0042"
FILE = f"incidents/2026/{ID}.yaml"
NOW = ("--now", "2026-11-22T10:30:00Z")

# 4-space mappings, lists not indented under their key, flow lists with odd spacing,
# quoted and block scalars, comments at the end of lines and on their own, blank lines.
ODD = """\
# Kept by hand: every comment, quote and odd indent here must survive an edit.
apiVersion: incidentctl/v1   # the format's version
kind: Incident

id: 'INC-2026-0042'
title: "Checkout declines \\"EU\\" cards"
summary: |
    Card payments from EU issuers fail at checkout.

    Second paragraph, kept as typed.
severity: SEV1      # paged at 10:00
status: open
environment: production
services: [checkout,  payments]   # two spaces on purpose
detection:
    source: monitoring      # a synthetic probe
    channel: monitoring
    reported_at: 2026-11-22T10:00:00Z
roles:
    commander: "@dana"   # on call this week
    communications: '@comms'
assignees:
- "@alice"    # first responder
-   '@bob'
updates:
# newest last
- at: 2026-11-22T10:01:00Z
  audience: internal
  text: >-
      Paged the payments on-call;
      looking at the gateway.


# links and labels below
labels: [checkout,payments]
links:
  - https://status.example.com/eu-cards
"""
ROLES = "roles:\n    commander: \"@dana\"   # on call this week\n    communications: '@comms'\n"
NO_ROLES = ODD.replace(ROLES, "")
WAITING = ODD.replace("status: open", "status: waiting")
RESOLVED = ODD.replace("status: open", "status: resolved").replace(
    "      looking at the gateway.\n",
    "      looking at the gateway.\n"
    "resolution:\n"
    "    kind: fixed   # confirmed by payments\n"
    "    summary: Rolled back the gateway.\n",
)
CLOSED = RESOLVED.replace("status: resolved", "status: closed")


def make_repo(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "repo"
    (root / "incidents/2026").mkdir(parents=True)
    (root / "policies/sla").mkdir(parents=True)
    (root / "policies/sla/gold.yaml").write_text(sla_policy_yaml("gold"), encoding="utf-8")
    (root / "policies/defects.yaml").write_text(defect_policy_yaml(), encoding="utf-8")
    other = incident_yaml("INC-2026-0041", severity="SEV2")
    (root / "incidents/2026/INC-2026-0041.yaml").write_text(other, encoding="utf-8")
    (root / FILE).write_bytes(text.encode("utf-8"))
    return root


def diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return "".join(list(lines)[2:])  # without the --- +++ header


EDITS = {
    "ack": (ODD, ["ack", ID], "@@ -12 +12 @@\n-status: open\n+status: acknowledged\n"),
    "ack-new-commander": (
        ODD,
        ["ack", ID, "--commander", "@erin"],
        "@@ -12 +12 @@\n-status: open\n+status: acknowledged\n"
        '@@ -20 +20 @@\n-    commander: "@dana"   # on call this week\n'
        '+    commander: "@erin"   # on call this week\n',
    ),
    "ack-creates-roles": (
        NO_ROLES,
        ["ack", ID, "--commander", "@erin"],
        "@@ -12 +12 @@\n-status: open\n+status: acknowledged\n"
        '@@ -18,0 +19,2 @@\n+roles:\n+    commander: "@erin"\n',
    ),
    "mitigate": (
        ODD,
        ["mitigate", ID, "--workaround", "EU cards are routed through the backup acquirer."],
        "@@ -12 +12 @@\n-status: open\n+status: mitigated\n"
        "@@ -24,0 +25 @@\n+workaround: EU cards are routed through the backup acquirer.\n",
    ),
    "wait": (
        ODD,
        ["wait", ID, "--reason", "Acquirer to confirm the fix window"],
        "@@ -12 +12 @@\n-status: open\n+status: waiting\n"
        "@@ -31,0 +32,3 @@\n+- at: 2026-11-22T10:30:00Z\n+  audience: internal\n"
        '+  text: "Waiting: Acquirer to confirm the fix window"\n',
    ),
    "resume-acknowledged": (
        WAITING,
        ["resume", ID],
        "@@ -12 +12 @@\n-status: waiting\n+status: acknowledged\n",
    ),
    "resume-mitigated": (
        WAITING.replace("links:", "workaround: Backup acquirer\nlinks:"),
        ["resume", ID],
        "@@ -12 +12 @@\n-status: waiting\n+status: mitigated\n",
    ),
    "resolve": (
        ODD,
        ["resolve", ID, "--summary", "Rolled back gateway 7.14.0.", "--kind", "workaround"],
        "@@ -12 +12 @@\n-status: open\n+status: resolved\n"
        "@@ -31,0 +32,3 @@\n+resolution:\n+    kind: workaround\n"
        "+    summary: Rolled back gateway 7.14.0.\n",
    ),
    "close": (RESOLVED, ["close", ID], "@@ -12 +12 @@\n-status: resolved\n+status: closed\n"),
    "reopen": (
        RESOLVED,
        ["reopen", ID, "--reason", "Declines are back since 11:00"],
        "@@ -12 +12 @@\n-status: resolved\n+status: open\n"
        "@@ -32,3 +32,3 @@\n"
        "-resolution:\n-    kind: fixed   # confirmed by payments\n"
        "-    summary: Rolled back the gateway.\n"
        "+- at: 2026-11-22T10:30:00Z\n+  audience: internal\n"
        '+  text: "Reopened: Declines are back since 11:00"\n',
    ),
    "cancel-duplicate": (
        ODD,
        ["cancel", ID, "--kind", "duplicate", "--duplicate-of", "INC-2026-0041"],
        "@@ -12 +12 @@\n-status: open\n+status: cancelled\n"
        "@@ -31,0 +32,4 @@\n+resolution:\n+    kind: duplicate\n"
        "+    summary: Duplicate of INC-2026-0041.\n+    duplicate_of: INC-2026-0041\n",
    ),
    "cancel-false-alarm": (
        ODD,
        ["cancel", ID, "--kind", "false-alarm"],
        "@@ -12 +12 @@\n-status: open\n+status: cancelled\n"
        "@@ -31,0 +32,3 @@\n+resolution:\n+    kind: false-alarm\n"
        '+    summary: "False alarm: there was no impact."\n',
    ),
    "severity": (
        ODD,
        ["severity", ID, "sev2", "--reason", "Only one acquirer is affected"],
        "@@ -11 +11 @@\n-severity: SEV1      # paged at 10:00\n"
        "+severity: SEV2      # paged at 10:00\n"
        "@@ -31,0 +32,3 @@\n+- at: 2026-11-22T10:30:00Z\n+  audience: internal\n"
        '+  text: "Severity changed from SEV1 to SEV2: Only one acquirer is affected"\n',
    ),
    "update": (
        ODD,
        ["update", ID, "We are rolling back; next update by 11:00 UTC."],
        "@@ -31,0 +32,3 @@\n+- at: 2026-11-22T10:30:00Z\n+  audience: customer\n"
        "+  text: We are rolling back; next update by 11:00 UTC.\n",
    ),
    "update-several-lines": (
        ODD,
        ["update", ID, "Rollback started.\nWatching the decline rate.", "--audience", "internal"],
        "@@ -31,0 +32,5 @@\n+- at: 2026-11-22T10:30:00Z\n+  audience: internal\n"
        "+  text: |-\n+      Rollback started.\n+      Watching the decline rate.\n",
    ),
    "assign": (ODD, ["assign", ID, "@carol", "@alice"], "@@ -24,0 +25 @@\n+- '@carol'\n"),
    "defect-add": (
        ODD,
        [
            "defect",
            "add",
            ID,
            "--title",
            "Gateway drops the EU issuer route on restart",
            "--service",
            "payment-gateway",
            "--fix",
            "hotfix",
        ],
        "@@ -31,0 +32,5 @@\n+defects:\n+- key: gateway-drops-the-eu-issuer-route-on-restart\n"
        "+  title: Gateway drops the EU issuer route on restart\n"
        "+  service: payment-gateway\n+  fix: hotfix\n",
    ),
}


@pytest.mark.parametrize(("text", "args", "expected"), EDITS.values(), ids=EDITS.keys())
def test_an_edit_changes_only_its_own_lines(
    tmp_path: Path, run_cli: RunCli, text: str, args: list[str], expected: str
) -> None:
    root = make_repo(tmp_path, text)
    result = run_cli(["-C", root, *args, *NOW])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{FILE}: {ID} ")
    after = (root / FILE).read_bytes().decode("utf-8")
    assert diff(text, after) == expected


REFUSALS = {
    "illegal-move": (RESOLVED, ["ack", ID], 1, "it is resolved and cannot move to acknowledged"),
    "final-status": (CLOSED, ["update", ID, "Hello"], 1, "is closed: a closed incident"),
    "commander-missing": (
        NO_ROLES,
        ["mitigate", ID, "--workaround", "Backup acquirer"],
        1,
        "error commander-required a SEV1 incident that is mitigated needs an incident commander",
    ),
    "duplicate-of-missing": (
        ODD,
        ["cancel", ID, "--kind", "duplicate"],
        1,
        "error resolution-required a duplicate names the incident it duplicates",
    ),
    "workaround-missing": (ODD, ["mitigate", ID], 1, "hint: describe it with --workaround"),
    "not-waiting": (ODD, ["resume", ID], 1, "it is open, not waiting"),
    "update-out-of-order": (
        ODD,
        ["update", ID, "Hello", "--now", "2026-11-22T10:00:30Z"],
        1,
        "is earlier than the one before it",
    ),
    "bad-defect-key": (
        ODD,
        ["defect", "add", ID, "--title", "T", "--service", "checkout", "--key", "Bad Key"],
        1,
        "defects[0].key: 'Bad Key' does not have the expected form",
    ),
    "unknown-id": (ODD, ["ack", "INC-2026-0099"], 2, "unknown incident id 'INC-2026-0099'"),
    "duplicate-of-without-duplicate": (
        ODD,
        ["cancel", ID, "--kind", "false-alarm", "--duplicate-of", "INC-2026-0041"],
        2,
        "--duplicate-of goes with --kind duplicate",
    ),
    "empty-reason": (ODD, ["wait", ID, "--reason", "  "], 2, "--reason is empty"),
}


@pytest.mark.parametrize(
    ("text", "args", "code", "message"), REFUSALS.values(), ids=REFUSALS.keys()
)
def test_a_refused_edit_leaves_the_file_as_it_was(
    tmp_path: Path, run_cli: RunCli, text: str, args: list[str], code: int, message: str
) -> None:
    root = make_repo(tmp_path, text)
    before = (root / FILE).read_bytes()
    result = run_cli(["-C", root, *args, *(NOW if "--now" not in args else ())])
    assert result.exit_code == code
    assert message in result.stderr
    assert (root / FILE).read_bytes() == before
    assert result.stdout == ""


def test_the_refusal_of_an_illegal_move_says_what_is_allowed(
    tmp_path: Path, run_cli: RunCli
) -> None:
    root = make_repo(tmp_path, RESOLVED)
    result = run_cli(["-C", root, "ack", ID, *NOW])
    assert result.stderr == (
        f"incidentctl: {ID}: refused, nothing was written: it is resolved and cannot move to "
        "acknowledged; from resolved it may move to closed (incidentctl close), open "
        "(incidentctl reopen)\n"
    )


def test_an_edit_that_changes_nothing_writes_nothing(tmp_path: Path, run_cli: RunCli) -> None:
    root = make_repo(tmp_path, ODD)
    for args in (["severity", ID, "SEV1", "--reason", "Same"], ["assign", ID, "alice"]):
        result = run_cli(["-C", root, *args, *NOW])
        assert result.exit_code == 0, result.stderr
        assert result.stdout == f"{ID}: nothing to change (open, SEV1)\n"
        assert (root / FILE).read_text(encoding="utf-8") == ODD


def test_line_endings_and_a_byte_order_mark_are_kept(tmp_path: Path, run_cli: RunCli) -> None:
    text = "\ufeff" + ODD.replace("\n", "\r\n")
    root = make_repo(tmp_path, text)
    result = run_cli(["-C", root, "wait", ID, "--reason", "Acquirer", *NOW])
    assert result.exit_code == 0, result.stderr
    after = (root / FILE).read_bytes()
    expected = text.replace("status: open", "status: waiting").replace(
        "      looking at the gateway.\r\n",
        "      looking at the gateway.\r\n- at: 2026-11-22T10:30:00Z\r\n"
        '  audience: internal\r\n  text: "Waiting: Acquirer"\r\n',
    )
    assert after == expected.encode("utf-8")


def test_a_file_without_a_final_line_break_gets_one_only_where_text_is_added(
    tmp_path: Path, run_cli: RunCli
) -> None:
    text = ODD.replace(ROLES, "").replace(
        "links:\n  - https://status.example.com/eu-cards\n", "roles: {commander: '@dana'}"
    )
    root = make_repo(tmp_path, text)
    result = run_cli(["-C", root, "ack", ID, "--commander", "@erin", *NOW])
    assert result.exit_code == 0, result.stderr
    after = (root / FILE).read_text(encoding="utf-8")
    expected = text.replace("status: open", "status: acknowledged").replace("@dana", "@erin")
    assert after == expected


# -- the patch itself -------------------------------------------------------------------


def test_a_key_goes_into_a_flow_mapping() -> None:
    patch = Patch("roles: {communications: '@c'}  # who\nid: x\n", ORDERS)
    patch.set(("roles", "commander"), "@dana")
    assert patch.text == "roles: {communications: '@c', commander: \"@dana\"}  # who\nid: x\n"


def test_a_null_value_and_an_empty_list_become_blocks_keeping_their_comments() -> None:
    patch = Patch("a: 1\nroles:   # tbd\nupdates: []  # none yet\nz: 2\n", ORDERS)
    patch.set(("roles", "commander"), "@dana")
    at = datetime(2026, 11, 22, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    patch.append(("updates",), {"at": at, "audience": "internal", "text": "x"})
    assert patch.text == (
        'a: 1\nroles:   # tbd\n  commander: "@dana"\nupdates:  # none yet\n'
        "  - at: 2026-11-22T10:00:00Z\n    audience: internal\n    text: x\nz: 2\n"
    )


def test_a_list_item_is_laid_out_like_the_items_before_it() -> None:
    text = "updates:\n    -   at: 2026-11-22T10:01:00Z   # first\n        audience: internal\n"
    text += "        text: Paged.\nlabels: []\n"
    patch = Patch(text, ORDERS)
    at = datetime(2026, 11, 22, 10, 30, tzinfo=UTC)
    patch.append(("updates",), {"at": at, "audience": "customer", "text": "We know."})
    assert patch.text == text.replace(
        "labels:",
        "    -   at: 2026-11-22T10:30:00Z\n        audience: customer\n        text: We know.\n"
        "labels:",
    )


def test_a_folded_block_is_replaced_in_its_own_style() -> None:
    text = "workaround: >-  # as agreed\n    Old text\n    over two lines.\n\nlabels: [a]\n"
    patch = Patch(text, ORDERS)
    new = "Traffic for EU issuers goes through the backup acquirer " * 2 + "until the fix."
    patch.set(("workaround",), new)
    assert patch.text == (
        "workaround: >-  # as agreed\n"
        "    Traffic for EU issuers goes through the backup acquirer Traffic for EU issuers goes\n"
        "    through the backup acquirer until the fix.\n"
        "\nlabels: [a]\n"
    )
    assert load_text(patch.text)["workaround"] == new


def test_a_key_is_removed_with_its_lines_only() -> None:
    text = "a: 1\nresolution:\n  kind: fixed  # c\n  summary: >-\n    x\n\n# next\nb: [1]\n"
    patch = Patch(text, ORDERS)
    patch.remove(("resolution",))
    assert patch.text == "a: 1\n\n# next\nb: [1]\n"
    patch.remove(("resolution",))  # absent: nothing to do
    assert patch.text == "a: 1\n\n# next\nb: [1]\n"


def test_an_edit_that_would_not_read_back_is_refused_and_undone() -> None:
    patch = Patch("a: [1, 2]\nb: 2\n")
    with pytest.raises(PatchError):
        patch.set(("a", "x"), 1)  # a list is not a mapping
    assert patch.text == "a: [1, 2]\nb: 2\n"


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_is_written_so_that_it_reads_back(value: str) -> None:
    for flow in (False, True):
        text = render_scalar(value, flow=flow)
        document = f"k: [{text}]\n" if flow else f"k: {text}\n"
        assert load_text(document) == {"k": [value] if flow else value}


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_appending_an_update_only_inserts_lines(value: str) -> None:
    patch = Patch(ODD, ORDERS)
    patch.append(
        ("updates",), {"at": "2026-11-22T10:30:00Z", "audience": "customer", "text": value}
    )
    before, after = ODD.splitlines(True), patch.text.splitlines(True)
    opcodes = difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
    assert [op for op, *_ in opcodes if op != "equal"] == ["insert"]
    assert load_text(patch.text)["updates"][-1]["text"] == value


def test_a_key_of_a_list_item_is_set_in_place() -> None:
    patch = Patch("defects:\n  - key: a  # first\n    title: T\n  - key: b\n    title: U\n")
    patch.set(("defects", 0, "tracker"), "jira:PAY-1")
    assert patch.text == (
        "defects:\n  - key: a  # first\n    title: T\n    tracker: jira:PAY-1\n"
        "  - key: b\n    title: U\n"
    )
