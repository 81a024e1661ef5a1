"""Replaying the first-parent history of the audited branch into a ``History`` (SPEC §3).

The commits of the branch's first-parent chain are taken oldest first; each changes
some document files, and each changed file's new blob is parsed (once per blob, ever:
see ``cache``). Documents are followed by their id, not their path, so a file moved
or renamed in one commit (a delete and an add, as ``--no-renames`` shows it)
continues the same timeline.

A merge's changes are its diff against its first parent. They landed when the merge
did; they were authored when the commit on the merged branch that first produced
them was (``clock: authored``), which is why the log is not limited to the first
parent: the merged branch's commits are read too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from incidentctl.history.blobs import POLICY_KINDS, Parsed, Parser, file_stem, kind_from_path
from incidentctl.history.cache import FOLDER, MAX_BLOB_FILES, Checkpoint, DocKey, Store, log
from incidentctl.history.git import BlobReader, Commit, Git
from incidentctl.history.model import History, IncidentState, RcaState, Stamp, Timeline, VersionRef

DEFAULT_ROOTS = ("incidents", "policies", "services")
_KINDS = frozenset(("Incident", "RCA", *POLICY_KINDS))
_PROGRESS_EVERY = 256

Progress = Callable[[int, int], None]
Change = tuple[str, str | None]


def replay(
    repo_root: Path,
    ref: str = "main",
    roots: Iterable[str] = DEFAULT_ROOTS,
    *,
    cache: bool = True,
    progress: Progress | None = None,
) -> History:
    """The first-parent history of ``ref`` in the repository at ``repo_root``, replayed.

    Only ``.yaml``/``.yml`` files under ``roots`` are documents. With ``cache``, the
    result is kept under the Git folder: a run on the same head only loads it, a run
    on a descendant replays only the new commits. While files are parsed,
    ``progress(done, total)`` is told how many of the commits to replay have been read.
    Raises ``UsageError`` if ``repo_root`` is not in a Git repository or ``ref`` names
    no commit; an empty repository gives ``head`` None.
    """
    git = Git(Path(repo_root))
    opened = git.open(ref)
    head = opened.head
    roots = tuple(r.strip("/").removeprefix("./") for r in roots)
    if head is None:
        return History(ref=ref, head=None)
    store = Store(opened.git_dir / FOLDER, roots, opened.shallow) if cache else None
    if store is not None:
        found = _from_cache(git, store, head, roots, progress)
        if found is not None:
            checkpoint, continued = found
            if continued:
                store.save_checkpoint(ref, checkpoint)
            checkpoint.history.ref = ref
            return checkpoint.history
    checkpoint = _rebuild(git, store, ref, head, roots, progress)
    checkpoint.history.shallow = bool(opened.shallow)
    if store is not None:
        store.save_checkpoint(ref, checkpoint)
    return checkpoint.history


def _from_cache(
    git: Git, store: Store, head: str, roots: tuple[str, ...], progress: Progress | None
) -> tuple[Checkpoint, bool] | None:
    """The cached replay at ``head`` (False), or one continued from a cached ancestor (True).

    A rewritten history (force-push) has no cached ancestor: None, and it is rebuilt.
    """
    cached = store.cached_heads()
    for candidate in sorted(cached, key=lambda c: c.head != head):  # the exact head first
        if candidate.head == head:
            found = store.load_checkpoint(candidate)
            if found is not None:
                log.info("replay cache: %s is cached, no commit to replay", head[:12])
                return found, False
            continue
        if not git.is_ancestor(candidate.head, head):
            continue
        checkpoint = store.load_checkpoint(candidate)
        if checkpoint is None:
            continue
        commits = {c.sha: c for c in git.log([head, f"^{candidate.head}"], roots)}
        chain = _first_parent_chain(head, commits)
        if not chain or chain[0].parents[:1] != (candidate.head,):
            continue  # an ancestor, but not on the first-parent chain: that chain changed
        log.info(
            "replay cache: continuing from %s, %d new commit(s) to replay",
            candidate.head[:12], len(chain),
        )  # fmt: skip
        sides = _side_orders(chain, commits)
        parsed = _parse(git, _new_blobs(chain, sides), len(chain), progress)
        _Replayer(checkpoint).run(chain, sides, parsed)
        # Incremental runs add small blob files; now and then they are folded into one.
        if store.blob_file_count() >= MAX_BLOB_FILES:
            store.save_blobs({**store.load_blobs(), **parsed}, compact=True)
        else:
            store.save_blobs(parsed, compact=False)
        return checkpoint, True
    return None


def _rebuild(
    git: Git,
    store: Store | None,
    ref: str,
    head: str,
    roots: tuple[str, ...],
    progress: Progress | None,
) -> Checkpoint:
    commits = {c.sha: c for c in git.log([head], roots)}
    chain = _first_parent_chain(head, commits)
    if store is not None:
        log.info("replay cache: no cached ancestor of %s, %d commits to replay", head[:12],
                 len(chain))  # fmt: skip
    sides = _side_orders(chain, commits)
    wanted = _new_blobs(chain, sides)
    known = store.load_blobs() if store is not None else {}
    missing = {blob: where for blob, where in wanted.items() if blob not in known}
    fresh = _parse(git, missing, len(chain), progress)
    if store is not None and fresh:
        store.save_blobs({**known, **fresh}, compact=True)
    parsed = {b: fresh[b] if b in fresh else known[b] for b in wanted}
    checkpoint = Checkpoint(History(ref=ref, head=None), {}, None)
    _Replayer(checkpoint).run(chain, sides, parsed)
    return checkpoint


def _first_parent_chain(head: str, commits: Mapping[str, Commit]) -> list[Commit]:
    """The commits from ``head`` back along first parents while they are in ``commits``."""
    chain: list[Commit] = []
    sha: str | None = head
    while sha is not None and sha in commits:
        commit = commits[sha]
        chain.append(commit)
        sha = commit.parents[0] if commit.parents else None
    chain.reverse()
    return chain


def _new_blobs(
    chain: Sequence[Commit], sides: Mapping[str, Sequence[Commit]]
) -> dict[str, tuple[str, int]]:
    """The blobs the chain's changes bring, with the first path and commit they come in;
    and, for a merge, each version its merged commits made of the incident files it
    changes (``clock: authored`` credits each fact to the commit that made it)."""
    wanted: dict[str, tuple[str, int]] = {}
    for index, commit in enumerate(chain):
        for path, blob in commit.changes:
            if blob is not None and blob not in wanted:
                wanted[blob] = (path, index)
        merged = sides.get(commit.sha)
        if not merged:
            continue
        paths = {path for path, _ in commit.changes if kind_from_path(path) == "Incident"}
        for side in merged:
            for path, blob in side.changes:
                if blob is not None and path in paths and blob not in wanted:
                    wanted[blob] = (path, index)
    return wanted


def _parse(
    git: Git, wanted: Mapping[str, tuple[str, int]], commits: int, progress: Progress | None
) -> dict[str, Parsed]:
    """Parse ``wanted`` in history order; progress is told in commits (of ``commits``)."""
    parser = Parser()
    parsed: dict[str, Parsed] = {}
    if wanted:
        with BlobReader(git) as reader:
            for done, (blob, raw) in enumerate(reader.read_many(list(wanted)), start=1):
                path, index = wanted[blob]
                parsed[blob] = parser.parse(path, raw)
                if progress is not None and done % _PROGRESS_EVERY == 0:
                    progress(index + 1, commits)
    if progress is not None:
        progress(commits, commits)
    return parsed


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class _Replayer:
    """Applies first-parent commits, oldest first, to a checkpoint."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        self.checkpoint = checkpoint
        self.history = checkpoint.history
        self.paths = checkpoint.paths
        self.locations: dict[DocKey, set[str]] = {}
        for path, (key, _) in self.paths.items():
            self.locations.setdefault(key, set()).add(path)

    def run(
        self,
        chain: Sequence[Commit],
        sides: Mapping[str, Sequence[Commit]],
        parsed: Mapping[str, Parsed],
    ) -> None:
        for commit in chain:
            merged = sides.get(commit.sha, ())
            self.apply(commit, merged, parsed)
        if chain:
            self.history.head = chain[-1].sha

    def apply(self, commit: Commit, merged: Sequence[Commit], parsed: Mapping[str, Parsed]) -> None:
        history = self.history
        producers: dict[Change, Commit] = {}
        for side in merged:
            for change in side.changes:
                producers.setdefault(change, side)
        committed = _utc(commit.committed)
        last = self.checkpoint.last_landed
        clamped = last is not None and committed < last
        landed = last if clamped and last is not None else committed
        authored = committed if commit.authored == commit.committed else _utc(commit.authored)
        stamp = Stamp(
            seq=history.commit_count, sha=commit.sha, landed_at=landed,
            authored_at=authored, author=commit.author,
            committer_date=committed, clamped=clamped,
        )  # fmt: skip
        history.commit_count += 1
        self.checkpoint.last_landed = landed
        if clamped:
            history.clamped.append(stamp)
        by_origin: dict[str, Stamp] = {}

        def stamp_for(change: Change) -> Stamp:
            producer = producers.get(change)
            if producer is None:
                return stamp
            found = by_origin.get(producer.sha)
            if found is None:
                found = by_origin[producer.sha] = replace(
                    stamp, authored_at=_utc(producer.authored),
                    origin=producer.sha, origin_author=producer.author,
                )  # fmt: skip
            return found

        before: dict[str, DocKey] = {}
        for path, _ in commit.changes:
            old = self.paths.pop(path, None)
            if old is not None:
                before[path] = old[0]
                self.locations[old[0]].discard(path)
        present: set[DocKey] = set()
        for change in commit.changes:
            path, blob = change
            if blob is None:
                continue
            version = parsed[blob]
            key = _identify(version, path, before.get(path))
            if key is None:
                history.problems.extend((stamp_for(change), m) for m in version.messages(path))
                continue
            self.paths[path] = (key, blob)
            self.locations.setdefault(key, set()).add(path)
            present.add(key)
            self._version(key, path, blob, version, stamp_for(change))
            if merged and key[0] == "Incident":
                self._trace(key[1], path, stamp, merged, parsed)
        for path, key in before.items():
            if key not in present and not self.locations.get(key):
                present.add(key)  # once per document, even if it was at several paths
                self._deleted(key, path, stamp_for((path, None)))

    def _version(self, key: DocKey, path: str, blob: str, version: Parsed, stamp: Stamp) -> None:
        kind, name = key
        history = self.history
        state = version.state
        if kind == "Incident":
            timeline = history.incidents.get(name)
            if timeline is None:
                timeline = history.incidents[name] = Timeline(name)
            timeline.versions.append(VersionRef(stamp, path, blob))
            if not isinstance(state, IncidentState):
                timeline.problems.extend((stamp, m) for m in version.messages(path))
            elif not timeline.states or timeline.states[-1][1] != state:
                timeline.states.append((stamp, state))
        elif kind == "RCA":
            if not isinstance(state, RcaState):
                history.problems.extend((stamp, m) for m in version.messages(path))
                return
            rca = history.rcas.setdefault(name, [])
            if not rca or rca[-1][1] != state:
                rca.append((stamp, state))
        else:
            if state is None or isinstance(state, IncidentState | RcaState):
                history.problems.extend((stamp, m) for m in version.messages(path))
                return
            policy = history.policies.setdefault(key, [])
            if not policy or policy[-1][1] != state:
                policy.append((stamp, state))

    def _trace(
        self,
        name: str,
        path: str,
        stamp: Stamp,
        merged: Sequence[Commit],
        parsed: Mapping[str, Parsed],
    ) -> None:
        """The versions of an incident file the merged commits made, in order."""
        trace: list[tuple[Stamp, IncidentState | None]] = []
        for side in merged:
            for changed, blob in side.changes:
                if changed != path:
                    continue
                state = parsed[blob].state if blob is not None and blob in parsed else None
                side_stamp = replace(
                    stamp, authored_at=_utc(side.authored), origin=side.sha,
                    origin_author=side.author,
                )  # fmt: skip
                trace.append((side_stamp, state if isinstance(state, IncidentState) else None))
        if trace:
            self.history.incidents[name].traces[stamp.sha] = tuple(trace)

    def _deleted(self, key: DocKey, path: str, stamp: Stamp) -> None:
        kind, name = key
        history = self.history
        if kind == "Incident":
            timeline = history.incidents[name]
            timeline.versions.append(VersionRef(stamp, path, None))
            if timeline.states and timeline.states[-1][1] is not None:
                timeline.states.append((stamp, None))
            return
        if kind == "RCA":
            rca = history.rcas.get(name)
            if rca and rca[-1][1] is not None:
                rca.append((stamp, None))
        else:
            policy = history.policies.get(key)
            if policy and policy[-1][1] is not None:
                policy.append((stamp, None))


def _identify(version: Parsed, path: str, previous: DocKey | None) -> DocKey | None:
    """Which document a version belongs to; None if it cannot be told."""
    kind = version.kind if version.kind in _KINDS else None
    kind = kind or (previous[0] if previous else None) or kind_from_path(path)
    if kind == "RCA":
        return ("RCA", file_stem(path))
    loaded = version.state is not None
    if loaded and version.name is not None:
        return (kind, version.name) if kind else None
    # A version that did not load stays with the document the file held before.
    if previous is not None and previous[0] == kind:
        return previous
    if kind == "Incident":
        return ("Incident", file_stem(path))
    if kind in POLICY_KINDS and version.name is not None:
        return (kind, version.name)
    return None


def _side_orders(chain: Sequence[Commit], commits: Mapping[str, Commit]) -> dict[str, list[Commit]]:
    """For each merge of the chain, the commits it merged, ancestors first."""
    on_chain = {c.sha for c in chain}
    claimed: set[str] = set()
    return {
        commit.sha: _merged_commits(commit, commits, on_chain, claimed)
        for commit in chain
        if len(commit.parents) > 1
    }


def _merged_commits(
    merge: Commit, commits: Mapping[str, Commit], on_chain: set[str], claimed: set[str]
) -> list[Commit]:
    """The commits a merge makes reachable for the first time, ancestors first.

    Found from its other parents, stopping at the first-parent chain and at commits
    earlier merges brought (and at the edge of what was read). In this order, the first
    to produce a (path, blob) is the one that authored it.
    """
    order: list[Commit] = []
    stack: list[tuple[str, bool]] = [(p, False) for p in reversed(merge.parents[1:])]
    while stack:
        sha, done = stack.pop()
        if done:
            order.append(commits[sha])
            continue
        if sha in claimed or sha in on_chain or sha not in commits:
            continue
        claimed.add(sha)
        stack.append((sha, True))
        stack.extend((p, False) for p in reversed(commits[sha].parents))
    return order
