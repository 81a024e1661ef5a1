"""Editing commands with ``--commit`` and ``--push`` on real Git repositories: commits
as evidence (trailers, SLA clocks, ``log``), and pushes that follow a moving ``main``."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from conftest import REPO_ROOT
from gitrepo import (
    Commit,
    Repo,
    build_repo,
    git_date,
    incident_yaml,
    sla_policy_yaml,
    update,
)

if TYPE_CHECKING:
    from conftest import RunCli

ID = "INC-2026-0001"
INC = f"incidents/2026/{ID}.yaml"
OTHER = "incidents/2026/INC-2026-0002.yaml"
POLICY = "policies/sla/gold.yaml"
OPENED = "2026-11-16T10:00:00Z"
_GIT_VARIABLES = ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL")


def git_env(repo: Repo, when: str) -> dict[str, str]:
    """What the command line needs to commit in ``repo`` as its user, dated ``when``."""
    env = repo.environment()
    found = {name: env[name] for name in _GIT_VARIABLES}
    return {**found, "GIT_AUTHOR_DATE": git_date(when), "GIT_COMMITTER_DATE": git_date(when)}


def opened(path: Path) -> Repo:
    return build_repo(
        path,
        [
            Commit(
                OPENED,
                files={
                    POLICY: sla_policy_yaml("gold"),
                    INC: incident_yaml(
                        ID, severity="SEV1", commander="@dana", updates=[update(OPENED)]
                    ),
                    OTHER: incident_yaml("INC-2026-0002"),
                },
            )
        ],
    )


def test_ack_commit_on_the_example_repository_stops_the_acknowledge_clock(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """Acceptance: the example incidents and policies, an ``ack --commit``, then ``sla``
    and ``log`` show that commit as the evidence."""
    files = {
        path.relative_to(REPO_ROOT).as_posix(): path.read_text(encoding="utf-8")
        for folder in ("incidents", "policies")
        for path in sorted((REPO_ROOT / folder).rglob("*.yaml"))
    }
    example = "incidents/2026/INC-2026-0142.yaml"
    assert "\nstatus: open\n" in files[example], "the example incident is no longer open"
    # Reported on Saturday 19:05 UTC; committed a few minutes later.
    repo = build_repo(tmp_path / "examples", [Commit("2026-11-21T19:10:00Z", files=files)])
    before = (repo.path / example).read_text(encoding="utf-8")

    # Monday 09:30 in Berlin: half an hour into the support desk's day.
    acked = "2026-11-23T08:30:00Z"
    result = run_cli(
        ["-C", repo.path, "ack", "INC-2026-0142", "--commit", "--now", acked],
        env=git_env(repo, acked),
    )
    assert result.exit_code == 0, result.stderr
    sha = repo.head()
    assert result.stdout == (
        f"{example}: INC-2026-0142 acknowledged\ncommitted {sha[:12]} INC-2026-0142: acknowledged\n"
    )
    after = (repo.path / example).read_text(encoding="utf-8")
    assert after == before.replace("\nstatus: open\n", "\nstatus: acknowledged\n")
    assert repo.git("show", "--name-only", "--format=", sha) == example

    sla = run_cli(["-C", repo.path, "sla", "INC-2026-0142", "--format", "json", "--at", acked])
    assert sla.exit_code == 0, sla.stderr
    (incident,) = json.loads(sla.stdout)["incidents"]
    ack = next(m for m in incident["metrics"] if m["metric"] == "acknowledge")
    assert ack["state"] == "met"
    assert ack["elapsed_seconds"] == 30 * 60
    assert ack["cycles"][0]["stopped_at"] == acked
    stop = ack["evidence"][-1]
    assert stop["event"] == "stop"
    assert (stop["commit"], stop["at"], stop["source"]) == (sha, acked, "commit")

    log = run_cli(["-C", repo.path, "log", "INC-2026-0142"])
    assert log.exit_code == 0, log.stderr
    entry = log.stdout[log.stdout.index(sha[:12]) :].splitlines()
    assert entry[1:5] == [
        "    Incident: INC-2026-0142",
        "    Incident-Status: acknowledged",
        "    Incident-Severity: SEV3",
        '    status: "open" -> "acknowledged"',
    ]


def test_a_commit_carries_the_reason_and_trailers_git_can_parse(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path / "repo")
    when = "2026-11-16T10:20:00Z"
    result = run_cli(
        ["-C", repo.path, "wait", ID, "--reason", "Acquirer to confirm", "--commit", "--now", when],
        env=git_env(repo, when),
    )
    assert result.exit_code == 0, result.stderr
    message = repo.git("log", "-1", "--format=%B")
    assert message == (
        f"{ID}: waiting\n\nAcquirer to confirm\n\n"
        f"Incident: {ID}\nIncident-Status: waiting\nIncident-Severity: SEV1"
    )
    parsed = repo.git("log", "-1", "--format=%(trailers:only,unfold)")
    assert parsed.splitlines() == [
        f"Incident: {ID}",
        "Incident-Status: waiting",
        "Incident-Severity: SEV1",
    ]
    found = repo.git("log", "--grep", f"^Incident: {ID}$", "--format=%H")
    assert found == repo.head()
    assert repo.git("status", "--porcelain") == ""


def test_staged_changes_elsewhere_refuse_the_commit_before_anything_is_written(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path / "repo")
    (repo.path / OTHER).write_text(incident_yaml("INC-2026-0002", title="Changed"), "utf-8")
    repo.git("add", OTHER)
    before, head = (repo.path / INC).read_bytes(), repo.head()
    when = "2026-11-16T10:03:00Z"
    result = run_cli(
        ["-C", repo.path, "ack", ID, "--commit", "--now", when], env=git_env(repo, when)
    )
    assert result.exit_code == 2
    assert f"other changes are staged ({OTHER})" in result.stderr
    assert "Nothing was written" in result.stderr
    assert (repo.path / INC).read_bytes() == before
    assert repo.head() == head


def test_commit_outside_a_git_repository_is_refused(tmp_path: Path, run_cli: RunCli) -> None:
    root = tmp_path / "plain"
    (root / "incidents/2026").mkdir(parents=True)
    (root / INC).write_text(incident_yaml(ID), encoding="utf-8")
    before = (root / INC).read_bytes()
    result = run_cli(["-C", root, "ack", ID, "--commit", "--now", "2026-11-16T10:03:00Z"])
    assert result.exit_code == 2
    assert "--commit and --push need a Git repository" in result.stderr
    assert (root / INC).read_bytes() == before


def test_a_move_that_main_does_not_allow_is_refused(tmp_path: Path, run_cli: RunCli) -> None:
    """The status-transition rule compares with the audited branch, not with the file."""
    repo = opened(tmp_path / "repo")
    now = ("--now", "2026-11-16T11:00:00Z")
    resolved = run_cli(["-C", repo.path, "resolve", ID, "--summary", "Rolled back.", *now])
    assert resolved.exit_code == 0, resolved.stderr
    before = (repo.path / INC).read_bytes()
    result = run_cli(["-C", repo.path, "close", ID, *now])
    assert result.exit_code == 1
    assert "error status-transition status cannot move from open (on main) to closed" in (
        result.stderr
    )
    assert "hint: the file's status differs from the audited branch's" in result.stderr
    assert (repo.path / INC).read_bytes() == before


# -- pushing ---------------------------------------------------------------------------


def remote_with_clones(tmp_path: Path) -> tuple[Path, Repo, Repo]:
    """A bare remote holding one incident, and two clones of it: ours and theirs."""
    seed = opened(tmp_path / "seed")
    bare = tmp_path / "remote.git"
    seed.git("clone", "-q", "--bare", str(seed.path), str(bare))
    clones = []
    for name in ("ours", "theirs"):
        seed.git("clone", "-q", bare.as_uri(), str(tmp_path / name))
        clones.append(Repo(tmp_path / name))
    return bare, clones[0], clones[1]


def remote_git(clone: Repo, bare: Path, *args: str) -> str:
    return clone.git("--git-dir", str(bare), *args)


def remote_log(clone: Repo, bare: Path) -> list[str]:
    return remote_git(clone, bare, "log", "--format=%s", "main").splitlines()


def test_a_push_rejected_because_main_moved_is_rebased_and_retried(
    tmp_path: Path, run_cli: RunCli
) -> None:
    bare, ours, theirs = remote_with_clones(tmp_path)
    other = incident_yaml("INC-2026-0002", title="Other")
    theirs.apply(Commit("2026-11-16T10:02:00Z", files={OTHER: other}))
    theirs.git("push", "-q", "origin", "main")
    when = "2026-11-16T10:03:00Z"
    result = run_cli(["-C", ours.path, "ack", ID, "--push", "--now", when], env=git_env(ours, when))
    assert result.exit_code == 0, result.stderr
    pushed = ours.head()
    assert result.stdout.splitlines()[-1] == (
        f"pushed {pushed[:12]} to origin main (rebased 1 time(s) onto main)"
    )
    assert remote_log(ours, bare) == [f"{ID}: acknowledged", "change", "change"]
    assert remote_git(ours, bare, "rev-parse", "main") == pushed
    assert "title: Other" in (ours.path / OTHER).read_text(encoding="utf-8")


def test_a_conflicting_edit_of_the_same_incident_is_reported_not_resolved(
    tmp_path: Path, run_cli: RunCli
) -> None:
    bare, ours, theirs = remote_with_clones(tmp_path)
    first = "2026-11-16T10:02:00Z"
    waited = run_cli(
        ["-C", theirs.path, "wait", ID, "--reason", "Customer", "--push", "--now", first],
        env=git_env(theirs, first),
    )
    assert waited.exit_code == 0, waited.stderr
    when = "2026-11-16T10:03:00Z"
    result = run_cli(["-C", ours.path, "ack", ID, "--push", "--now", when], env=git_env(ours, when))
    assert result.exit_code == 1
    ours_sha = ours.head()
    assert f"committed {ours_sha[:12]} {ID}: acknowledged" in result.stdout
    assert f"conflicts in {INC}: someone else changed the same incident" in result.stderr
    assert f"your commit {ours_sha[:12]} is kept and nothing was pushed" in result.stderr
    assert "git pull --rebase origin main, resolve the conflict by hand" in result.stderr
    # The rebase was aborted: our commit and our text, a clean work tree, theirs on main.
    assert ours.git("log", "-1", "--format=%s") == f"{ID}: acknowledged"
    assert ours.git("status", "--porcelain") == ""
    assert not Path(ours.git("rev-parse", "--git-path", "rebase-merge")).exists()
    assert "status: acknowledged" in (ours.path / INC).read_text(encoding="utf-8")
    assert remote_log(ours, bare) == [f"{ID}: waiting", "change"]


def test_a_clean_rebase_that_makes_the_incident_invalid_is_not_pushed(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """Theirs closed the incident; ours assigned someone, on lines theirs did not touch:
    the rebase is clean, but a closed incident may not change, so nothing is pushed."""
    bare, ours, theirs = remote_with_clones(tmp_path)
    for when, args in (
        ("2026-11-16T10:10:00Z", ["resolve", ID, "--summary", "Rolled back."]),
        ("2026-11-16T10:20:00Z", ["close", ID]),
    ):
        done = run_cli(
            ["-C", theirs.path, *args, "--push", "--now", when], env=git_env(theirs, when)
        )
        assert done.exit_code == 0, done.stderr
    when = "2026-11-16T10:30:00Z"
    result = run_cli(
        ["-C", ours.path, "assign", ID, "@erin", "--push", "--now", when],
        env=git_env(ours, when),
    )
    assert result.exit_code == 1
    note, refusal = result.stderr.split("\n", 1)  # the note: --now is not what the SLA counts
    assert "the SLA will count the time this change lands on main" in note
    assert refusal.startswith(
        f"incidentctl: {ID}: after rebasing onto main of origin, the incident is not valid; "
        "your commit is kept and nothing was pushed"
    )
    assert "error closed-immutable" in result.stderr
    assert remote_log(ours, bare) == [f"{ID}: closed", f"{ID}: resolved", "change"]
    assert ours.git("log", "-3", "--format=%s").splitlines() == [
        f"{ID}: assigned @erin",
        f"{ID}: closed",
        f"{ID}: resolved",
    ]


def test_pushing_gives_up_when_main_keeps_moving(tmp_path: Path, run_cli: RunCli) -> None:
    bare, ours, theirs = remote_with_clones(tmp_path)
    # Each push of ours sees main move just before it lands, as under a busy team.
    hook = ours.path / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\ncat >/dev/null\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{theirs.path}' || exit 1\n"
        "git pull -q --rebase origin main && echo push >> moved.txt && git add moved.txt &&\n"
        "git commit -qm moved && git push -q origin main\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    when = "2026-11-16T10:03:00Z"
    result = run_cli(["-C", ours.path, "ack", ID, "--push", "--now", when], env=git_env(ours, when))
    assert result.exit_code == 1
    assert "main on origin kept moving: the push was rejected 3 times" in result.stderr
    assert (theirs.path / "moved.txt").read_text(encoding="utf-8") == "push\n" * 3
    assert ours.git("log", "-1", "--format=%s") == f"{ID}: acknowledged"
    assert remote_log(ours, bare)[0] == "moved"


def test_a_push_refused_for_another_reason_keeps_the_commit(
    tmp_path: Path, run_cli: RunCli
) -> None:
    bare, ours, _ = remote_with_clones(tmp_path)
    shutil.rmtree(bare)
    when = "2026-11-16T10:03:00Z"
    result = run_cli(["-C", ours.path, "ack", ID, "--push", "--now", when], env=git_env(ours, when))
    assert result.exit_code == 1
    assert "git push origin HEAD:refs/heads/main failed: " in result.stderr
    assert f"Your commit {ours.head()[:12]} is kept" in result.stderr
