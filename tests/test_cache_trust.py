"""The caches under ``.git/incidentctl`` are data that nothing trusts (see docs/decisions.md).

A file planted there (by anyone who can write the folder, or restored from a CI cache)
is never executed and never believed when damaged: it is discarded with a warning,
the replay is done again, and the output is the same as without it.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from gitrepo import Commit, Repo, build_repo, incident_yaml, sla_policy_yaml
from incidentctl.history.cache import Header, Store, read_header, write_file
from incidentctl.history.model import Timeline
from incidentctl.history.replay import DEFAULT_ROOTS

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

INC = "incidents/2026/INC-2026-0001.yaml"
AT = "2026-11-16T12:00:00Z"


class Planted:
    """Unpickled, it would create the marker file: the proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    targets = {"SEV1": {"acknowledge": "5m", "resolve": "4h"}}
    return build_repo(
        tmp_path / "repo",
        [
            Commit(
                "2026-11-16T10:00:00Z",
                files={
                    "policies/sla/gold.yaml": sla_policy_yaml("gold", targets=targets),
                    INC: incident_yaml("INC-2026-0001", severity="SEV1"),
                },
            ),
            Commit(
                "2026-11-16T10:03:00Z",
                files={INC: incident_yaml("INC-2026-0001", severity="SEV1", status="resolved")},
            ),
        ],
    )


def folder(repo: Repo) -> Path:
    return repo.path / ".git" / "incidentctl"


def sla(run_cli: RunCli, repo: Repo) -> CliResult:
    result = run_cli(["-C", repo.path, "sla", "--format", "json", "--at", AT])
    assert result.exit_code == 0, result.stderr
    return result


def files(repo: Repo, pattern: str) -> list[Path]:
    return sorted(folder(repo).glob(pattern))


def test_hostile_and_truncated_cache_files_are_rebuilt_with_a_warning(
    repo: Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    first = sla(run_cli, repo)
    assert first.stderr == ""
    [replay_file] = files(repo, "replay-*.cache")
    [blobs_file] = files(repo, "blobs-*.cache")
    settled_file = folder(repo) / "settled.cache"
    assert settled_file.exists()
    marker = tmp_path / "code-ran"
    hostile = pickle.dumps(Planted(marker))
    replay_file.write_bytes(hostile)  # a pickle where the replay was
    blobs_file.write_bytes(blobs_file.read_bytes()[:-7])  # truncated
    settled_file.write_bytes(hostile)
    # An older version's file name, in the format that could run code when loaded.
    (folder(repo) / "replay-0000000000000000.pickle").write_bytes(hostile)
    (folder(repo) / "settled.pickle").write_bytes(hostile)

    again = sla(run_cli, repo)
    assert not marker.exists()
    assert again.stdout == first.stdout
    for file in (replay_file, blobs_file, settled_file):
        assert f"incidentctl: warning: the cache file {file} was discarded" in again.stderr
    assert "Traceback" not in again.stderr
    assert not files(repo, "*.pickle")  # never read, and removed
    # The rebuilt cache is good: no warning, the same output.
    third = sla(run_cli, repo)
    assert (third.stdout, third.stderr) == (first.stdout, "")
    assert files(repo, "replay-*.cache") and settled_file.exists()


def test_a_well_formed_file_of_the_wrong_shape_is_rebuilt(repo: Repo, run_cli: RunCli) -> None:
    """A planted file can carry a correct header and checksum: its contents are still
    decoded only into the replay's own types, and anything else is discarded."""
    first = sla(run_cli, repo)
    [replay_file] = files(repo, "replay-*.cache")
    header = read_header(replay_file, "replay")
    payload = msgspec.msgpack.encode({"__class__": "os.system", "args": ["echo planted"]})
    write_file(replay_file, header, payload)
    assert read_header(replay_file, "replay").checksum != header.checksum  # well formed
    again = sla(run_cli, repo)
    assert again.stdout == first.stdout
    assert f"the cache file {replay_file} was discarded" in again.stderr
    assert "do not decode" in again.stderr


def test_settled_results_must_be_an_incidents_json(repo: Repo, run_cli: RunCli) -> None:
    """A settled result is put into the board as it is: a planted one that is not the
    incident's JSON object (here: terminal escapes) is not used."""
    first = sla(run_cli, repo)
    settled = folder(repo) / "settled.cache"
    header = read_header(settled, "settled")
    entries = msgspec.msgpack.decode(settled.read_bytes()[-header.size :])
    [(key, (figures, computed, text, done))] = entries.items()
    assert text.startswith('{"id":"INC-2026-0001"')
    entries[key] = [figures, computed, '\x1b[2J{"id":"INC-2026-0001"}', done]
    write_file(settled, header, msgspec.msgpack.encode(entries))
    assert sla(run_cli, repo).stdout == first.stdout


def test_the_cache_of_another_version_is_replaced_quietly(repo: Repo, run_cli: RunCli) -> None:
    first = sla(run_cli, repo)
    [replay_file] = files(repo, "replay-*.cache")
    header = read_header(replay_file, "replay")
    data = replay_file.read_bytes()[-header.size :]
    older = Header(**{**msgspec.structs.asdict(header), "fingerprint": "0" * 32})
    write_file(replay_file, older, data)
    again = sla(run_cli, repo)
    assert (again.stdout, again.stderr) == (first.stdout, "")
    assert read_header(replay_file, "replay").fingerprint == header.fingerprint


def test_a_cache_file_past_the_size_cap_is_not_read(repo: Repo, run_cli: RunCli) -> None:
    first = sla(run_cli, repo)
    [replay_file] = files(repo, "replay-*.cache")
    header = read_header(replay_file, "replay")
    data = replay_file.read_bytes()[-header.size :]
    write_file(replay_file, header, data)
    with replay_file.open("r+b") as handle:  # a sparse file of more than a gibibyte
        handle.truncate(replay_file.stat().st_size + (1 << 30))
    again = sla(run_cli, repo)
    assert again.stdout == first.stdout
    assert "larger than any cache file incidentctl writes" in again.stderr


def test_a_settled_figure_edited_in_place_is_not_believed(repo: Repo, run_cli: RunCli) -> None:
    first = sla(run_cli, repo)
    assert '"elapsed_seconds":180' in first.stdout  # acknowledged after 3 minutes
    settled = folder(repo) / "settled.cache"
    data = settled.read_bytes()
    edited = data.replace(b'"elapsed_seconds":180', b'"elapsed_seconds":999', 1)
    assert edited != data
    settled.write_bytes(edited)
    again = sla(run_cli, repo)
    assert again.stdout == first.stdout
    assert "checksum does not match" in again.stderr


def test_verbose_runs_say_what_the_cache_spared(repo: Repo, run_cli: RunCli) -> None:
    def notes() -> list[str]:
        result = run_cli(
            ["-C", repo.path, "sla", "--format", "json", "--at", AT],
            env={"INCIDENTCTL_VERBOSE": "1"},
        )
        assert result.exit_code == 0, result.stderr
        return result.stderr.splitlines()

    head = repo.head()[:12]
    assert notes() == [
        f"incidentctl: replay cache: no cached ancestor of {head}, 2 commits to replay"
    ]
    assert notes() == [f"incidentctl: replay cache: {head} is cached, no commit to replay"]
    repo.apply(Commit("2026-11-16T10:30:00Z", files={"incidents/2026/INC-2026-0002.yaml":
                                                     incident_yaml("INC-2026-0002")}))  # fmt: skip
    assert notes() == [
        f"incidentctl: replay cache: continuing from {head}, 1 new commit(s) to replay"
    ]
    # Without the variable, nothing but warnings.
    assert sla(run_cli, repo).stderr == ""


def test_a_planted_incident_history_that_does_not_decode_stops_the_run(
    repo: Repo, run_cli: RunCli
) -> None:
    """Each incident's history is decoded when first used; one that a planted file made
    undecodable (behind a valid checksum) deletes the file and stops with exit 2."""
    first = sla(run_cli, repo)
    store = Store(folder(repo), DEFAULT_ROOTS)
    [cached] = store.cached_heads()
    checkpoint = store.load_checkpoint(cached)
    assert checkpoint is not None
    incidents = checkpoint.history.incidents
    incidents["INC-2026-0001"] = Timeline.unpacked("INC-2026-0001", b"\xc1", b"\x90")
    store.save_checkpoint("main", checkpoint)
    (folder(repo) / "settled.cache").unlink()
    stopped = run_cli(["-C", repo.path, "sla", "--format", "json", "--at", AT])
    assert stopped.exit_code == 2
    assert "held a damaged history of INC-2026-0001: it was deleted" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert not cached.file.exists()
    assert sla(run_cli, repo).stdout == first.stdout
