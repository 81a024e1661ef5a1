"""Bad input of every kind: the exact located message, the exit code, and never a traceback.

Each case writes one broken file into the minimal valid repository of
``test_validate_cli.MiniRepo`` (or breaks its incident) and runs ``incidentctl validate``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from test_validate_cli import DEFECTS, INC, NEW, STANDARD, MiniRepo, assert_problems, assert_valid

if TYPE_CHECKING:
    from conftest import RunCli

HEAD = "apiVersion: incidentctl/v1\nkind: Incident\n"
KINDS = "Incident, RCA, SLAPolicy, Calendar, DefectPolicy, Service, Customer, NotificationPolicy"


@pytest.fixture
def repo(tmp_path: Path, run_cli: RunCli) -> MiniRepo:
    return MiniRepo(tmp_path / "repo", run_cli)


def bad_file(repo: MiniRepo, content: str | bytes, *lines: str) -> None:
    """``content`` as a new incident file: exactly ``lines`` are reported for it."""
    repo.write(NEW, content)
    assert_problems(repo.validate(), *(f"{NEW}:{line}" for line in lines), files=5)


# -- YAML ----------------------------------------------------------------------------------


def test_invalid_yaml_syntax(repo: MiniRepo) -> None:
    bad_file(
        repo,
        HEAD + 'title: "Checkout fails\n',
        "4:1: error yaml-syntax invalid YAML: found unexpected end of stream (while scanning "
        "a quoted scalar at line 3, column 8): close the quotes",
    )


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (
            HEAD + "title: a: b\n",
            "3:9: error yaml-syntax invalid YAML: mapping values are not allowed here: quote a "
            "value that contains ': ', or fix the indentation",
        ),
        (
            HEAD + "detection:\n\tsource: monitoring\n",
            "4:1: error yaml-syntax invalid YAML: found character '\\t' that cannot start any "
            "token: indent with spaces, not tabs",
        ),
        (
            HEAD + "labels: [a, b\nid: INC-2026-0002\n",
            "4:3: error yaml-syntax invalid YAML: expected ',' or ']', but got ':' (while "
            "parsing a flow sequence at line 3, column 9): close the list with ] or separate "
            "its items with commas",
        ),
        (
            HEAD + "detection:\n  source: monitoring\n channel: chat\n",
            "5:2: error yaml-syntax invalid YAML: expected <block end>, but found '<block "
            "mapping start>' (while parsing a block mapping at line 1, column 1): check the "
            "indentation: keys of one mapping, and items of one list, start in the same column",
        ),
        (
            HEAD + 'title: "bell\x07"\n',
            "3:13: error yaml-syntax invalid YAML: the control character U+0007 is not "
            'allowed: remove it, or write it as an escape such as "\\x07" in double quotes',
        ),
    ],
    ids=["colon-in-value", "tab", "unclosed-list", "indentation", "control-character"],
)
def test_syntax_errors_say_where_and_what_to_do(repo: MiniRepo, content: str, line: str) -> None:
    bad_file(repo, content, line)


def test_duplicate_keys(repo: MiniRepo) -> None:
    bad_file(
        repo,
        HEAD + "title: One\nsummary: s\ntitle: Two\n",
        "5:1: error yaml-duplicate-key duplicate key 'title': each key may appear once in a "
        "mapping; remove or rename one of them",
    )


def test_keys_are_text_as_written(repo: MiniRepo) -> None:
    # 1 and "1" are the same key; a list as a key is refused.
    bad_file(
        repo,
        HEAD + "detection:\n  1: a\n  '1': b\n",
        "5:3: error yaml-duplicate-key duplicate key '1': each key may appear once in a "
        "mapping; remove or rename one of them",
    )
    bad_file(
        repo,
        HEAD + "? [a, b]\n: c\n",
        "3:3: error yaml-key a key must be text, not a list or mapping: write key: value",
    )


def test_more_than_one_document(repo: MiniRepo) -> None:
    bad_file(
        repo,
        HEAD + "---\n" + HEAD,
        "3:1: error yaml-multiple-documents the file holds more than one YAML document: keep "
        "one document per file",
    )


def test_a_leading_document_marker_is_fine(repo: MiniRepo) -> None:
    text = (repo.root / INC).read_text(encoding="utf-8")
    repo.write(INC, "# a comment\n---\n" + text)
    assert_valid(repo.validate())


def test_anchors_and_aliases(repo: MiniRepo) -> None:
    bad_file(
        repo,
        HEAD + "labels: &common [payments]\nservices: *common\n",
        "3:9: error yaml-anchor anchors and aliases (&name, *name) are not allowed: write the "
        "value out",
    )
    bad_file(
        repo,
        HEAD + "services: [*common]\n",
        "3:12: error yaml-anchor anchors and aliases (&name, *name) are not allowed: write the "
        "value out",
    )


def test_text_that_only_looks_like_anchors_is_fine(repo: MiniRepo) -> None:
    repo.edit(INC, "summary: Card payments time out", "summary: R&D says *all* cards & more")
    assert_valid(repo.validate())


def test_merge_keys_and_tags(repo: MiniRepo) -> None:
    bad_file(
        repo,
        HEAD + "detection:\n  <<: {source: monitoring}\n",
        "4:3: error yaml-merge-key merge keys (<<) are not allowed: write the keys out",
    )
    bad_file(
        repo,
        HEAD + "title: !!python/object:os.system echo\n",
        "3:8: error yaml-tag the tag !!python/object:os.system is not allowed: remove it; "
        "values are text, numbers, true/false, null, lists and mappings",
    )


BILLION_LAUGHS = (
    HEAD
    + 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
)


def _limit_memory() -> None:
    limit = 1 << 30  # 1 GiB: expanding the bomb would need far more
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_an_alias_bomb_is_refused_quickly_without_expanding_it(repo: MiniRepo) -> None:
    repo.write(NEW, BILLION_LAUGHS)
    env = {**os.environ, "INCIDENTCTL_DEBUG": ""}
    env.pop("GITHUB_ACTIONS", None)
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from incidentctl.cli.main import main; main()",
            "-C",
            str(repo.root),
            "validate",
            NEW,
            "--now",
            "2026-03-02T12:00:00Z",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
        env=env,
        cwd=repo.root,
        check=False,
    )
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stdout == (
        f"{NEW}:3:4: error yaml-anchor anchors and aliases (&name, *name) are not allowed: "
        "write the value out\n1 error(s), 0 warning(s) in 1 file(s)\n"
    )


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (HEAD + "labels: " + "[" * 200_000 + "]" * 200_000 + "\n", "3:108"),
        (HEAD + "labels:\n" + "".join(" " * i + "- \n" for i in range(150)), "103:100"),
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused_before_it_is_composed(
    repo: MiniRepo, content: str, line: str
) -> None:
    bad_file(
        repo,
        content,
        f"{line}: error yaml-depth the document is nested more than 100 levels deep: documents "
        "need only a few levels, so check the indentation and brackets",
    )


# -- the file ------------------------------------------------------------------------------


def test_a_file_over_one_mebibyte(repo: MiniRepo) -> None:
    content = HEAD + "summary: " + "x" * (1024 * 1024) + "\n"
    bad_file(
        repo,
        content,
        f"1:1: error file-too-large the file is {len(content)} bytes, over the limit of "
        "1048576 bytes (1 MiB): shorten it, e.g. link to long logs instead of pasting them",
    )


def test_a_file_of_exactly_one_mebibyte_is_read(repo: MiniRepo) -> None:
    text = (repo.root / INC).read_text(encoding="utf-8")
    filler = "# " + "x" * (1024 * 1024 - len(text) - 3) + "\n"
    repo.write(INC, text + filler)
    assert (repo.root / INC).stat().st_size == 1024 * 1024
    assert_valid(repo.validate())


def test_non_utf8_bytes_are_located_at_the_bad_byte(repo: MiniRepo) -> None:
    # Latin-1 "é" after a real UTF-8 "é": the column counts characters, not bytes.
    bad_file(
        repo,
        HEAD.encode() + "title: Café ".encode() + b"caf\xe9\n",
        "3:16: error encoding the file is not valid UTF-8 (byte 0xe9): save it as UTF-8",
    )


def test_a_utf8_byte_order_mark_is_accepted(repo: MiniRepo) -> None:
    repo.write(INC, b"\xef\xbb\xbf" + (repo.root / INC).read_bytes())
    assert_valid(repo.validate())


# -- the head of the document --------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (
            "kind: Incident\nid: INC-2026-0002\n",
            "1:1: error api-version missing apiVersion: add apiVersion: incidentctl/v1 as the "
            "first line",
        ),
        (
            "apiVersion: incidentctl/v2\nkind: Incident\n",
            "1:1: error api-version apiVersion 'incidentctl/v2' is not supported: use "
            "incidentctl/v1",
        ),
        (
            "apiVersion: incidentctl/v1\nid: INC-2026-0002\n",
            f"1:1: error kind missing kind: add kind: one of {KINDS}",
        ),
        (
            "apiVersion: incidentctl/v1\nkind: Incidnet\n",
            f"2:1: error kind kind 'Incidnet' is not one of {KINDS}: did you mean Incident?",
        ),
        (
            "apiVersion: incidentctl/v1\nkind: Postmortem\n",
            f"2:1: error kind kind 'Postmortem' is not one of {KINDS}",
        ),
        (
            "",
            "1:1: error document the document is empty: it must be a mapping that starts with "
            f"apiVersion: incidentctl/v1 and kind: one of {KINDS}",
        ),
        (
            "# only a comment\n",
            "1:1: error document the document is empty: it must be a mapping that starts with "
            f"apiVersion: incidentctl/v1 and kind: one of {KINDS}",
        ),
        (
            "- apiVersion: incidentctl/v1\n  kind: Incident\n",
            "1:1: error document the document is a list: it must be a mapping that starts with "
            f"apiVersion: incidentctl/v1 and kind: one of {KINDS}",
        ),
        (
            "incidentctl/v1\n",
            "1:1: error document the document is a single value ('incidentctl/v1'): it must be "
            f"a mapping that starts with apiVersion: incidentctl/v1 and kind: one of {KINDS}",
        ),
    ],
    ids=[
        "missing-apiversion",
        "unknown-apiversion",
        "missing-kind",
        "misspelt-kind",
        "unknown-kind",
        "empty",
        "comment-only",
        "top-level-list",
        "top-level-scalar",
    ],
)
def test_the_head_of_the_document(repo: MiniRepo, content: str, line: str) -> None:
    bad_file(repo, content, line)


# -- the schema ----------------------------------------------------------------------------


def broken_incident(repo: MiniRepo, old: str, new: str, *lines: str) -> None:
    """The base incident with ``old`` replaced by ``new``: exactly ``lines`` are reported."""
    repo.edit(INC, old, new)
    assert_problems(repo.validate(), *(f"{INC}:{line}" for line in lines))


ALLOWED_DETECTION = "source, channel, impact_started_at, reported_at"


def test_unknown_key_suggests_the_right_one_at_the_keys_position(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "  channel: monitoring",
        "  chanel: monitoring",
        "10:1: error schema missing required key 'channel' in detection (one of hotline, "
        "portal, email, monitoring, chat, other): add it",
        f"12:3: error schema unknown key 'chanel': did you mean 'channel'? (allowed keys are "
        f"{ALLOWED_DETECTION})",
    )


def test_unknown_key_without_a_close_match(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "  channel: monitoring",
        "  channel: monitoring\n  pager: yes",
        f"13:3: error schema unknown key 'pager': remove it; allowed keys are {ALLOWED_DETECTION}",
    )


def test_an_enum_value_lists_the_allowed_values(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "severity: SEV3",
        "severity: SEV5",
        "6:1: error schema severity: 'SEV5' is not one of SEV1, SEV2, SEV3, SEV4, NONPROD",
    )


def test_a_naive_timestamp_is_located_at_its_key_in_the_item(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "  - at: 2026-03-02T10:05:00Z",
        "  - at: 2026-03-02T10:05:00",
        "14:5: error schema updates[0].at: '2026-03-02T10:05:00' has no UTC offset: add Z or "
        "an offset such as +02:00",
    )


def test_a_date_is_not_a_timestamp(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "  - at: 2026-03-02T10:05:00Z",
        "  - at: 2026-03-02",
        "14:5: error schema updates[0].at: '2026-03-02' is a date, not a timestamp: add the "
        "time and offset, e.g. 2026-03-02T10:00:00Z",
    )


def test_errors_in_a_list_are_located_at_the_item(repo: MiniRepo) -> None:
    repo.append(INC, "  - at: tomorrow\n    audience: customer\n    text: Fixed\n")
    assert_problems(
        repo.validate(),
        f"{INC}:17:5: error schema updates[1].at: 'tomorrow' is not an ISO 8601 timestamp "
        "such as 2026-11-22T10:05:00Z",
    )
    repo.edit(INC, "services: [checkout]", "services: [checkout, 42, '']")
    assert_problems(
        repo.validate(),
        f"{INC}:9:22: error schema services[1]: expected text, got a number (42): put it in "
        "quotes if it is meant as text",
        f"{INC}:9:26: error schema services[2]: must not be empty: write some text",
        f"{INC}:17:5: error schema updates[1].at: 'tomorrow' is not an ISO 8601 timestamp "
        "such as 2026-11-22T10:05:00Z",
    )


def test_a_missing_required_key_is_located_at_its_parent(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "    audience: customer\n",
        "",
        "14:5: error schema missing required key 'audience' in updates[0] (one of customer, "
        "internal): add it",
    )


def test_a_missing_top_level_key_is_located_at_the_start(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "detection:\n  source: monitoring\n  channel: monitoring\n",
        "",
        "1:1: error schema missing required key 'detection' (a mapping with the keys source, "
        "channel): add it",
    )


def test_a_missing_top_level_key_is_located_at_the_first_key_not_a_comment(
    repo: MiniRepo,
) -> None:
    repo.edit(
        INC,
        "apiVersion: incidentctl/v1\n",
        "# the schema for editors\napiVersion: incidentctl/v1\n",
    )
    broken_incident(
        repo,
        "detection:\n  source: monitoring\n  channel: monitoring\n",
        "",
        "2:1: error schema missing required key 'detection' (a mapping with the keys source, "
        "channel): add it",
    )


def test_an_empty_value_where_text_is_needed(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "title: Checkout fails",
        "title:",
        "4:1: error schema title: expected text, got nothing (null): write the text after "
        "the colon",
    )


def test_a_link_is_text_or_a_mapping_with_one_clear_message(repo: MiniRepo) -> None:
    repo.append(INC, "links:\n  - https://status.example.com/1\n  - 5\n  - {title: Runbook}\n")
    assert_problems(
        repo.validate(),
        f"{INC}:19:5: error schema links[1]: expected text, or a mapping with the key url, "
        "got a number (5)",
        f"{INC}:20:5: error schema missing required key 'url' in links[2] (text): add it",
    )


# -- policies ------------------------------------------------------------------------------


def broken_policy(repo: MiniRepo, path: str, old: str, new: str, *lines: str) -> None:
    repo.edit(path, old, new)
    assert_problems(repo.validate(), *(f"{path}:{line}" for line in lines))


def test_a_bad_duration(repo: MiniRepo) -> None:
    broken_policy(
        repo,
        STANDARD,
        "resolve: 4h",
        "resolve: 4 hours",
        "8:5: error schema targets.SEV1.resolve: '4 hours' is not a duration: write it like "
        "90s, 15m, 4h, 2h30m or 2d",
    )


def test_day_durations_on_a_business_calendar(repo: MiniRepo) -> None:
    broken_policy(
        repo,
        STANDARD,
        "resolve: 24h",
        "resolve: 2d",
        "14:5: error business-days resolve: 2d counts days on the business-hours calendar "
        "'emea-support', where a day is ambiguous: write the target in business hours (three "
        "8-hour days are 24h) or use calendar 24x7",
    )


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (
            "[50%, 75]",
            "4:16: error schema warn_at[1]: 75 is not a percentage: write it with a percent "
            "sign, e.g. 75%",
        ),
        (
            "[0%]",
            "4:11: error schema warn_at[0]: '0%' is out of range: write a percentage above 0% "
            "and at most 1000%",
        ),
        (
            "[half%]",
            "4:11: error schema warn_at[0]: 'half%' is not a percentage: write it like 75%",
        ),
    ],
    ids=["no-percent-sign", "zero", "not-a-number"],
)
def test_a_bad_percentage(repo: MiniRepo, value: str, line: str) -> None:
    broken_policy(repo, STANDARD, "name: standard", f"name: standard\nwarn_at: {value}", line)


def test_a_fix_rule_is_next_release_or_a_hotfix_deadline(repo: MiniRepo) -> None:
    broken_policy(
        repo,
        DEFECTS,
        "SEV2: next-release",
        "SEV2: hotfix",
        "10:3: error schema fix.SEV2: expected next-release, or a mapping with the key hotfix, "
        "got 'hotfix'",
    )


def test_a_hotfix_deadline_is_checked_inside_the_mapping(repo: MiniRepo) -> None:
    broken_policy(
        repo,
        DEFECTS,
        "SEV1: {hotfix: 48h}",
        "SEV1: {hotfix: soon}",
        "9:10: error schema fix.SEV1.hotfix: 'soon' is not a duration: write it like 90s, 15m, "
        "4h, 2h30m or 2d",
    )


def test_a_bad_severity_as_a_key(repo: MiniRepo) -> None:
    broken_policy(
        repo,
        DEFECTS,
        "SEV2: next-release",
        "SEV9: next-release",
        "10:3: error schema fix: 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4, NONPROD",
    )


def test_a_route_needs_exactly_one_tracker(repo: MiniRepo) -> None:
    broken_policy(
        repo,
        DEFECTS,
        "    github: acme/shop\n",
        "",
        "5:5: error schema routes[0]: a route sends defects to exactly one of github or jira",
    )


def test_route_services_are_a_list_or_a_selector(repo: MiniRepo) -> None:
    broken_policy(
        repo,
        DEFECTS,
        "services: [checkout]",
        "services: checkout",
        "5:5: error schema routes[0].services: expected a list, or a mapping with the keys "
        "customers, environments, services, teams, tiers, got 'checkout'",
    )


# -- the fast path -------------------------------------------------------------------------


def test_clean_files_are_read_without_the_round_trip_parser(repo: MiniRepo) -> None:
    code = (
        "import sys\n"
        "from incidentctl.cli.main import main\n"
        "try:\n"
        f"    main(['-C', {str(repo.root)!r}, 'validate', '--now', '2026-03-02T12:00:00Z'])\n"
        "except SystemExit as done:\n"
        "    print(done.code, sorted(m for m in sys.modules if m.startswith('ruamel')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.splitlines()[-1] == "0 []", "ruamel.yaml is loaded only for problems"
    repo.edit(INC, "severity: SEV3", "severity: SEV5")  # a problem needs its location
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.splitlines()[-1].startswith("1 ['ruamel")


# -- values no parser expects ----------------------------------------------------------------


def test_a_huge_number_is_refused_and_shortened_in_the_message(repo: MiniRepo) -> None:
    # Python refuses to convert integers of over 4300 digits; that is not an internal error,
    # and the problem is still shown where the value is.
    repo.edit(INC, "id: INC-2026-0001", f"id: {'1' * 5000}")
    assert_problems(
        repo.validate(),
        f"{INC}:3:1: error schema id: '{'1' * 55}...' does not have the expected form: write "
        "INC-YYYY-NNNN, e.g. INC-2026-0042",
    )


def test_an_escape_that_is_not_a_character(repo: MiniRepo) -> None:
    broken_incident(
        repo,
        "title: Checkout fails",
        'title: "\\ud800"',
        "4:1: error schema title: contains an escape that is not a character (such as "
        "\\ud800): remove it",
    )
