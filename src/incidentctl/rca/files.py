"""Where incidents and RCAs are: in the work tree, and in a commit of the audited branch."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from incidentctl.fsutil import NotRegularFile, read_regular
from incidentctl.history.blobs import parse_version
from incidentctl.history.git import BlobReader, Git
from incidentctl.load.document import SourceDocument, parse_document
from incidentctl.load.repository import not_regular
from incidentctl.model import RCA
from incidentctl.problems import UsageError

INCIDENTS = "incidents"
RCA_SUFFIXES = (".rca.yaml", ".rca.yml")


def find_file(root: Path, incident_id: str, *, rca: bool) -> Path | None:
    """The incident's file (or its RCA's) under incidents/, whatever subfolder holds it."""
    names = (
        {incident_id + s for s in RCA_SUFFIXES}
        if rca
        else {f"{incident_id}.yaml", f"{incident_id}.yml"}
    )
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root / INCIDENTS):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(folder) / n for n in filenames if n in names)
    return min(found) if found else None


def read_document(root: Path, path: Path, kind: str) -> SourceDocument:
    """A document of ``kind`` from the work tree; ``UsageError`` naming its problems if it
    does not load, or saying what it holds if it is another kind."""
    display = path.relative_to(root).as_posix()
    try:
        raw = read_regular(path)
    except NotRegularFile as error:
        raise UsageError(not_regular(display, error).render()) from None
    doc = parse_document(display, raw)
    if doc.model is None:
        raise UsageError(
            f"{display} does not load: "
            + "; ".join(p.render() for p in doc.problems)
            + " (incidentctl validate shows every problem)"
        )
    if doc.kind != kind:
        raise UsageError(
            f"{display}:1:1: holds kind: {doc.kind}, not {kind}: an incident's file holds "
            "its Incident, and its .rca.yaml its RCA"
        )
    return doc


def rcas_at(root: Path, commit: str | None) -> dict[str, RCA]:
    """The RCAs that load in ``commit``, by the id their file names; broken ones are left out."""
    if commit is None:
        return {}
    git = Git(root)
    listing = git.run("ls-tree", "-r", "-z", "--full-tree", commit, "--", INCIDENTS).stdout
    blobs: dict[str, tuple[str, str]] = {}
    for entry in listing.decode("utf-8", "replace").split("\0"):
        meta, _, path = entry.partition("\t")
        parts = meta.split()
        if len(parts) != 3 or parts[1] != "blob" or not path.endswith(RCA_SUFFIXES):
            continue
        name = PurePosixPath(path).name
        stem = next(name[: -len(s)] for s in RCA_SUFFIXES if name.endswith(s))
        if stem not in blobs or path < blobs[stem][0]:
            blobs[stem] = (path, parts[2])
    found: dict[str, RCA] = {}
    with BlobReader(git) as reader:
        for stem in sorted(blobs):
            path, blob = blobs[stem]
            model = parse_version(path, reader.read(blob)).model
            if isinstance(model, RCA):
                found[stem] = model
    return found
