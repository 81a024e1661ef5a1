"""History replay on real Git repositories built by ``gitrepo``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gitrepo import (
    Commit,
    Merge,
    Rebase,
    Repo,
    Reset,
    Revert,
    Squash,
    build_repo,
    incident_yaml,
    rca_yaml,
    sla_policy_yaml,
    update,
)
from incidentctl.history.cache import FORMAT, Store
from incidentctl.history.model import History, Timeline
from incidentctl.history.replay import DEFAULT_ROOTS, replay
from incidentctl.model import SLAPolicy
from incidentctl.problems import UsageError

ID = "INC-2026-0001"
INC = f"incidents/2026/{ID}.yaml"
GOLD = "policies/sla/gold.yaml"


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def statuses(history: History, incident: str = ID) -> list[tuple[int, str | None]]:
    return [
        (stamp.seq, state.status if state else None)
        for stamp, state in history.incidents[incident].states
    ]


def cache_files(repo: Repo, prefix: str) -> list[Path]:
    return sorted((repo.path / ".git" / "incidentctl").glob(f"{prefix}-*.cache"))


@pytest.fixture
def lifecycle(tmp_path: Path) -> Repo:
    """An incident opened, acknowledged through a merged pull request, then resolved."""
    return build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID), GOLD: sla_policy_yaml()}),
            Commit(
                at(10, 3),
                branch="ack",
                author="Bob",
                email="bob@example.com",
                author_date=at(10, 2),
                files={INC: incident_yaml(ID, status="acknowledged")},
            ),
            Merge("ack", at(10, 20)),
            Commit(at(11), files={INC: incident_yaml(ID, status="resolved")}),
        ],
    )


# -- reading history ---------------------------------------------------------------------


def test_direct_pushes_stamp_each_version_with_its_commit(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}, author_date=at(9, 58)),
            Commit(at(10, 4), files={INC: incident_yaml(ID, status="acknowledged")}),
            Commit(at(10, 30), files={"README.md": "not a document\n"}),
        ],
    )
    history = replay(repo.path, cache=False)
    assert history.head == repo.head()
    assert history.commit_count == 3
    timeline = history.incidents[ID]
    assert statuses(history) == [(0, "open"), (1, "acknowledged")]
    first, second = (stamp for stamp, _ in timeline.states)
    assert first.sha == repo.shas[0]
    assert first.landed_at == first.committer_date == at(10)
    assert first.authored_at == at(9, 58)
    assert first.author == "Alice Example <alice@example.com>"
    assert first.origin is None and not first.clamped
    assert second.landed_at == second.authored_at == at(10, 4)
    assert [(v.stamp.seq, v.path) for v in timeline.versions] == [(0, INC), (1, INC)]
    assert history.clamped == [] and history.problems == []


def test_merge_lands_at_the_merge_and_was_authored_on_the_branch(lifecycle: Repo) -> None:
    history = replay(lifecycle.path, cache=False)
    assert history.commit_count == 3  # the branch's commit is not on the first-parent chain
    assert statuses(history) == [(0, "open"), (1, "acknowledged"), (2, "resolved")]
    stamp = history.incidents[ID].states[1][0]
    assert stamp.sha == lifecycle.shas[2]  # the merge
    assert stamp.landed_at == at(10, 20)
    assert stamp.authored_at == at(10, 2)
    assert stamp.origin == lifecycle.shas[1]
    assert stamp.origin_author == "Bob <bob@example.com>"


def test_merge_authored_at_is_the_commit_that_first_produced_the_blob(tmp_path: Path) -> None:
    acked = incident_yaml(ID, status="acknowledged")
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 5), branch="pr", files={INC: acked}, author_date=at(10, 1)),
            Commit(at(10, 6), branch="pr", files={INC: acked + "# draft\n"}),
            Commit(at(10, 7), branch="pr", files={INC: acked}, author_date=at(10, 7)),
            Commit(at(10, 8), branch="pr", files={"incidents/notes.yml": "kind: x\n"}),
            Merge("pr", at(11)),
        ],
    )
    history = replay(repo.path, cache=False)
    stamp = history.incidents[ID].states[1][0]
    assert stamp.authored_at == at(10, 1)
    assert stamp.origin == repo.shas[1]
    assert stamp.landed_at == at(11)


def test_a_change_made_by_the_merge_itself_is_authored_by_the_merge(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 3), branch="pr", files={INC: incident_yaml(ID, status="acknowledged")}),
            Merge("pr", at(10, 30), author_date=at(10, 29),
                  files={INC: incident_yaml(ID, status="mitigated")}),
        ],
    )  # fmt: skip
    history = replay(repo.path, cache=False)
    assert statuses(history) == [(0, "open"), (1, "mitigated")]
    stamp = history.incidents[ID].states[1][0]
    assert (stamp.authored_at, stamp.landed_at, stamp.origin) == (at(10, 29), at(10, 30), None)


def test_squash_merge_is_one_commit_authored_when_squashed(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 3), branch="pr", files={INC: incident_yaml(ID, status="acknowledged")}),
            Commit(at(10, 9), branch="pr", files={INC: incident_yaml(ID, status="mitigated")}),
            Squash("pr", at(10, 30), author_date=at(10, 25)),
        ],
    )
    history = replay(repo.path, cache=False)
    assert statuses(history) == [(0, "open"), (1, "mitigated")]
    stamp = history.incidents[ID].states[1][0]
    assert (stamp.landed_at, stamp.authored_at, stamp.origin) == (at(10, 30), at(10, 25), None)


def test_rebase_merge_keeps_each_commit_and_its_author_date(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 3), branch="pr", files={INC: incident_yaml(ID, status="acknowledged")}),
            Commit(at(10, 9), branch="pr", files={INC: incident_yaml(ID, status="mitigated")}),
            Rebase("pr", at(10, 30)),
        ],
    )
    history = replay(repo.path, cache=False)
    assert statuses(history) == [(0, "open"), (1, "acknowledged"), (2, "mitigated")]
    stamps = [stamp for stamp, _ in history.incidents[ID].states]
    assert [s.authored_at for s in stamps] == [at(10), at(10, 3), at(10, 9)]
    assert [s.landed_at for s in stamps] == [at(10), at(10, 30), at(10, 30)]
    assert stamps[2].sha == repo.head() != repo.head("pr")


def test_backdated_commit_is_clamped_to_its_parent_and_recorded(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(9), files={INC: incident_yaml(ID, status="acknowledged")}),
            Commit(at(9, 30), files={INC: incident_yaml(ID, status="mitigated")}),
        ],
    )
    history = replay(repo.path, cache=False)
    stamps = [stamp for stamp, _ in history.incidents[ID].states]
    assert [s.landed_at for s in stamps] == [at(10), at(10), at(10)]
    assert [s.committer_date for s in stamps] == [at(10), at(9), at(9, 30)]
    assert [s.clamped for s in stamps] == [False, True, True]
    assert history.clamped == stamps[1:]


def test_revert_restores_the_earlier_state(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 5), files={INC: incident_yaml(ID, status="cancelled")}),
            Revert(1, at(10, 7)),
        ],
    )
    history = replay(repo.path, cache=False)
    assert statuses(history) == [(0, "open"), (1, "cancelled"), (2, "open")]
    versions = history.incidents[ID].versions
    assert versions[2].blob == versions[0].blob
    assert versions[2].stamp.sha == repo.shas[2]


def test_a_moved_file_continues_its_timeline(tmp_path: Path) -> None:
    moved = f"incidents/archive/{ID}.yaml"
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 5), moves={INC: moved}),
            Commit(at(10, 9), files={moved: incident_yaml(ID, status="acknowledged")}),
        ],
    )
    history = replay(repo.path, cache=False)
    timeline = history.incidents[ID]
    assert [(v.stamp.seq, v.path, v.blob is None) for v in timeline.versions] == [
        (0, INC, False),
        (1, moved, False),
        (2, moved, False),
    ]
    assert statuses(history) == [(0, "open"), (2, "acknowledged")]  # the move changed nothing


def test_an_id_renamed_in_a_new_file_is_a_move_by_id(tmp_path: Path) -> None:
    # A file whose name is wrong is renamed in the same commit that edits it.
    wrong = "incidents/2026/INC-2026-9999.yaml"
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={wrong: incident_yaml(ID)}),
            Commit(at(10, 5), delete=[wrong], files={INC: incident_yaml(ID, status="mitigated")}),
        ],
    )
    history = replay(repo.path, cache=False)
    assert list(history.incidents) == [ID]
    assert statuses(history) == [(0, "open"), (1, "mitigated")]


def test_deletion_then_recreation(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 5), delete=[INC]),
            Commit(at(10, 9), files={INC: incident_yaml(ID)}),
        ],
    )
    history = replay(repo.path, cache=False)
    timeline = history.incidents[ID]
    assert statuses(history) == [(0, "open"), (1, None), (2, "open")]
    assert [v.blob is None for v in timeline.versions] == [False, True, False]
    assert timeline.versions[1].path == INC


def test_policies_are_judged_as_they_stood(tmp_path: Path) -> None:
    stricter = {"SEV2": {"update_every": "15m", "resolve": "4h"}}
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(9), files={GOLD: sla_policy_yaml()}),
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(11), files={GOLD: sla_policy_yaml(targets=stricter)}),
            Commit(at(12), delete=[GOLD]),
        ],
    )
    history = replay(repo.path, cache=False)
    opened = history.incidents[ID].states[0][0].seq
    policies, calendars = history.policies_at(opened)
    assert [p.name for p in policies] == ["gold"] and calendars == {}
    assert policies[0].targets["SEV2"].resolve is not None
    assert policies[0].targets["SEV2"].resolve.seconds == 8 * 3600
    later, _ = history.policies_at(2)
    assert later[0].targets["SEV2"].resolve is not None
    assert later[0].targets["SEV2"].resolve.seconds == 4 * 3600
    assert history.policies_at(3)[0] == []
    versions = history.policies[("SLAPolicy", "gold")]
    assert [(s.seq, type(m).__name__) for s, m in versions] == [
        (0, "SLAPolicy"),
        (2, "SLAPolicy"),
        (3, "NoneType"),
    ]
    assert isinstance(versions[0][1], SLAPolicy)


def test_a_version_that_does_not_load_is_reported_and_not_fatal(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID)}),
            Commit(at(10, 5), files={INC: "apiVersion: incidentctl/v1\nkind: [Incident\n"}),
            Commit(at(10, 6), files={INC: incident_yaml(ID, severity="SEV9")}),
            Commit(at(10, 9), files={INC: incident_yaml(ID, status="acknowledged")}),
        ],
    )
    history = replay(repo.path, cache=False)
    timeline = history.incidents[ID]
    assert statuses(history) == [(0, "open"), (3, "acknowledged")]
    assert [stamp.seq for stamp, _ in timeline.problems] == [1, 2]
    syntax, schema = (message for _, message in timeline.problems)
    assert syntax.startswith(f"{INC}:3:1: error yaml-syntax")
    assert "severity" in schema and "'SEV9'" in schema
    assert len(timeline.versions) == 4


def test_an_incident_that_never_loaded_is_named_by_its_file(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo", [Commit(at(10), files={INC: "kind: Incident\n"})])
    history = replay(repo.path, cache=False)
    assert history.incidents[ID].states == []
    assert len(history.incidents[ID].problems) == 1


def test_rcas_and_unidentifiable_documents(tmp_path: Path) -> None:
    rca = f"incidents/2026/{ID}.rca.yaml"
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID, status="resolved"), rca: rca_yaml(ID)}),
            Commit(at(11), files={rca: rca_yaml(ID, meeting_at=at(10, 45))}),
            Commit(at(12), files={rca: rca_yaml(ID, meeting_at=at(10, 45), status="bogus")}),
            Commit(at(13), files={rca: rca_yaml(ID, meeting_at=at(10, 45), status="published")}),
            Commit(at(14), files={"policies/mystery.yaml": "just: text\n"}),
            Commit(at(15), delete=[rca]),
        ],
    )
    history = replay(repo.path, cache=False)
    versions = history.rcas[ID]
    assert [(s.seq, r.status if r else None) for s, r in versions] == [
        (0, "draft"),
        (1, "draft"),
        (3, "published"),
        (5, None),
    ]
    assert versions[1][1] is not None and versions[1][1].meeting_at == at(10, 45)
    assert [(s.seq, m.split(":")[0]) for s, m in history.problems] == [
        (2, rca),
        (4, "policies/mystery.yaml"),
    ]


def test_only_documents_under_the_roots_count(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(
                at(10),
                files={
                    INC: incident_yaml(ID),
                    "docs/INC-2026-0002.yaml": incident_yaml("INC-2026-0002"),
                    "incidents/INC-2026-0003.yaml.bak": incident_yaml("INC-2026-0003"),
                    "ops/INC-2026-0004.yml": incident_yaml("INC-2026-0004"),
                },
            ),
        ],
    )
    assert list(replay(repo.path, cache=False).incidents) == [ID]
    assert sorted(replay(repo.path, roots=["ops/", "incidents"], cache=False).incidents) == [
        ID,
        "INC-2026-0004",
    ]


def test_progress_is_reported_while_parsing(lifecycle: Repo) -> None:
    calls: list[tuple[int, int]] = []
    replay(lifecycle.path, cache=False, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (3, 3)  # three commits on the first-parent chain


# -- errors ----------------------------------------------------------------------------


def test_unknown_ref_is_a_usage_error(lifecycle: Repo) -> None:
    with pytest.raises(UsageError, match="ref 'nope' not found"):
        replay(lifecycle.path, "nope")


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not a Git repository"):
        replay(tmp_path)


def test_an_empty_repository_has_no_head(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo")
    assert replay(repo.path) == History(ref="main", head=None)


def test_another_ref_can_be_replayed(lifecycle: Repo) -> None:
    history = replay(lifecycle.path, lifecycle.shas[1], cache=False)
    assert history.ref == lifecycle.shas[1]
    assert statuses(history) == [(0, "open"), (1, "acknowledged")]
    assert history.incidents[ID].states[1][0].sha == lifecycle.shas[1]


# -- the cache ---------------------------------------------------------------------------


def test_cache_lives_in_the_git_folder_not_the_work_tree(lifecycle: Repo) -> None:
    replay(lifecycle.path)
    assert lifecycle.git("status", "--porcelain", "--ignored") == ""
    assert cache_files(lifecycle, "replay") and cache_files(lifecycle, "blobs")


def test_cache_is_shared_by_worktrees(lifecycle: Repo, tmp_path: Path) -> None:
    lifecycle.git("worktree", "add", "-q", str(tmp_path / "other"), lifecycle.shas[1])
    history = replay(tmp_path / "other", "main")
    assert history == replay(lifecycle.path, cache=False)
    assert cache_files(lifecycle, "replay")
    assert not (tmp_path / "other" / "incidentctl").exists()


def test_warm_run_is_the_cached_replay(lifecycle: Repo) -> None:
    cold = replay(lifecycle.path)
    warm = replay(lifecycle.path)
    assert warm == cold == replay(lifecycle.path, cache=False)
    assert [v.path for v in warm.incidents[ID].versions] == [INC, INC, INC]
    # The warm run took the cached replay as it is: a marker put there comes back.
    store = Store(lifecycle.path / ".git" / "incidentctl", DEFAULT_ROOTS)
    [cached] = store.cached_heads()
    checkpoint = store.load_checkpoint(cached)
    assert checkpoint is not None
    checkpoint.history.incidents["INC-2026-0999"] = Timeline("INC-2026-0999")
    store.save_checkpoint("main", checkpoint)
    assert "INC-2026-0999" in replay(lifecycle.path).incidents


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "format"])
def test_a_damaged_cache_is_discarded_and_rebuilt(lifecycle: Repo, damage: str) -> None:
    cold = replay(lifecycle.path)
    for file in [*cache_files(lifecycle, "replay"), *cache_files(lifecycle, "blobs")]:
        data = file.read_bytes()
        if damage == "truncate":
            file.write_bytes(data[: len(data) // 2])
        elif damage == "flip":
            middle = len(data) * 3 // 4
            file.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
        elif damage == "garbage":
            file.write_bytes(b"not a cache file at all")
        else:  # another format's file, as an older or newer incidentctl writes
            older = data.replace(
                b"\xa6format" + bytes([FORMAT]), b"\xa6format" + bytes([FORMAT - 1]), 1
            )
            assert older != data
            file.write_bytes(older)
    assert replay(lifecycle.path) == cold
    assert replay(lifecycle.path) == cold  # and the rebuilt cache is good
    assert len(cache_files(lifecycle, "replay")) == 1


def test_new_commits_continue_the_cached_replay(lifecycle: Repo) -> None:
    replay(lifecycle.path)
    lifecycle.apply(
        Commit(at(12), files={INC: incident_yaml(ID, status="closed")}),
        Commit(at(12, 5), branch="pr2", files={GOLD: sla_policy_yaml(priority=5)}),
        Commit(
            at(11, 30), files={"incidents/2026/INC-2026-0002.yaml": incident_yaml("INC-2026-0002")}
        ),
        Merge("pr2", at(12, 10)),
    )
    continued = replay(lifecycle.path)
    assert continued == replay(lifecycle.path, cache=False)
    assert continued.commit_count == 6
    assert [s.seq for s in continued.clamped] == [4]
    assert continued.policies[("SLAPolicy", "gold")][-1][0].origin == lifecycle.shas[5]
    # Continued, not rebuilt: the new blobs went to a file of their own.
    assert len(cache_files(lifecycle, "blobs")) == 2


def test_another_ref_continues_from_a_cached_ancestor(lifecycle: Repo) -> None:
    replay(lifecycle.path)
    lifecycle.apply(Commit(at(12), branch="next", files={INC: incident_yaml(ID, status="closed")}))
    history = replay(lifecycle.path, "next")
    assert history == replay(lifecycle.path, "next", cache=False)
    assert history.ref == "next"
    assert len(cache_files(lifecycle, "blobs")) == 2
    assert replay(lifecycle.path) == replay(lifecycle.path, cache=False)  # main's is kept


def test_a_force_push_is_replayed_from_scratch(lifecycle: Repo) -> None:
    replay(lifecycle.path)
    other = "incidents/2026/INC-2026-0002.yaml"
    lifecycle.apply(
        Reset("main", 0),
        Commit(at(10, 30), files={other: incident_yaml("INC-2026-0002")}),
    )
    history = replay(lifecycle.path)
    assert history == replay(lifecycle.path, cache=False)
    assert statuses(history) == [(0, "open")]
    assert sorted(history.incidents) == [ID, "INC-2026-0002"]
    assert history.commit_count == 2


def test_an_ancestor_off_the_first_parent_chain_is_not_continued(lifecycle: Repo) -> None:
    # main is merged into a branch, and main then fast-forwarded to that merge: the old
    # head is an ancestor, but main's first-parent history is now the branch's.
    replay(lifecycle.path)
    lifecycle.apply(
        Commit(at(9), branch="side", start=0, files={"incidents/INC-2026-0005.yaml":
                                                     incident_yaml("INC-2026-0005")}),
        Merge("main", at(12), into="side"),
        Reset("main", "side"),
    )  # fmt: skip
    history = replay(lifecycle.path)
    assert history == replay(lifecycle.path, cache=False)
    assert history.commit_count == 3
    assert statuses(history) == [(0, "open"), (2, "resolved")]
    assert history.incidents[ID].states[1][0].authored_at == at(11)


def test_replays_over_other_roots_are_cached_apart(lifecycle: Repo) -> None:
    everything = replay(lifecycle.path)
    policies_only = replay(lifecycle.path, roots=["policies"])
    assert policies_only == replay(lifecycle.path, roots=["policies"], cache=False)
    assert policies_only.incidents == {} and everything.incidents
    assert replay(lifecycle.path) == everything
    assert len(cache_files(lifecycle, "replay")) == 2


def test_a_shallow_clone_is_marked_and_deepening_it_replays_again(
    lifecycle: Repo, tmp_path: Path
) -> None:
    clone = lifecycle.clone(tmp_path / "ci", "--depth=2")
    shallow = replay(clone.path)
    assert shallow.shallow and shallow.commit_count == 2
    assert statuses(shallow) == [(0, "acknowledged"), (1, "resolved")]
    clone.git("fetch", "-q", "--unshallow")
    deep = replay(clone.path)  # same head, more history: the cached replay is not it
    assert not deep.shallow and deep.commit_count == 3
    assert deep == replay(lifecycle.path, cache=False)


def test_cache_false_neither_reads_nor_writes(lifecycle: Repo) -> None:
    replay(lifecycle.path, cache=False)
    assert not (lifecycle.path / ".git" / "incidentctl").exists()


def test_customer_updates_are_kept_in_the_state(tmp_path: Path) -> None:
    updates = [update(at(10, 10), "Investigating."), update(at(10, 12), "Inside.", "internal")]
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(at(10), files={INC: incident_yaml(ID, reported_at=at(9, 55))}),
            Commit(
                at(10, 15), files={INC: incident_yaml(ID, reported_at=at(9, 55), updates=updates)}
            ),
        ],
    )
    replay(repo.path)
    history = replay(repo.path)
    state = history.incidents[ID].states[-1][1]
    assert state is not None
    assert [(u.at, u.text) for u in state.customer_updates] == [(at(10, 10), "Investigating.")]
    assert state.reported_at == at(9, 55)


def test_a_packed_timeline_comes_back_equal_and_keeps_later_changes(lifecycle: Repo) -> None:
    timeline = replay(lifecycle.path, cache=False).incidents[ID]
    copy = Timeline.unpacked(ID, *timeline.packed())
    assert copy == timeline
    copy.states.pop()  # decoded on first use, then changed
    again = Timeline.unpacked(ID, *copy.packed())
    assert again.states == timeline.states[:-1]
    assert again.versions == timeline.versions and again.problems == []
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = again.nothing
