"""Commit trailers (``Incident: INC-…``, ``Incident-Status: …``) read in one git call."""

from __future__ import annotations

from collections.abc import Sequence

from incidentctl.history.git import Git


def read_trailers(git: Git, shas: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """The trailers of each commit, in order, as (key, value) pairs."""
    if not shas:
        return {}
    done = git.run(
        "show", "--no-patch", "--no-walk=unsorted",
        "--format=%H%x00%(trailers:only,unfold)%x1e", *dict.fromkeys(shas),
    )  # fmt: skip
    result: dict[str, list[tuple[str, str]]] = {}
    for record in done.stdout.decode("utf-8", "replace").split("\x1e"):
        sha, _, body = record.strip("\n").partition("\x00")
        if not sha:
            continue
        pairs = []
        for line in body.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                pairs.append((key.strip(), value.strip()))
        result[sha.strip()] = pairs
    return result
