"""Write the site to a folder: every page built in a fresh folder, then swapped in.

A reader (or a Pages upload) sees the old site or the new one, never half of each, and
a public build never keeps a page of an earlier internal build: the folder is
replaced whole. A folder that is not an earlier site is never replaced.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from incidentctl.problems import UsageError

MARKER = ".incidentctl-site"


@dataclass(frozen=True, slots=True)
class Site:
    """Relative path -> text of every file of the site."""

    files: Mapping[str, str]


def write_site(site: Site, out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: it is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(
            f"--out {out}: the folder is not empty and was not made by `site build`; "
            "give a new or empty folder"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.new-"))
    except OSError as error:
        raise UsageError(f"--out {out}: cannot write there: {error.strerror or error}") from None
    try:
        for name, text in {**site.files, MARKER: "built by incidentctl site build\n"}.items():
            path = fresh / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
        for folder in [fresh, *(p for p in fresh.rglob("*") if p.is_dir())]:
            folder.chmod(0o755 & ~_umask())
        for path in fresh.rglob("*"):
            if path.is_file():
                path.chmod(0o644 & ~_umask())
        _swap(fresh, out)
    except OSError as error:
        shutil.rmtree(fresh, ignore_errors=True)
        raise UsageError(f"--out {out}: cannot write the site: {error.strerror or error}") from None
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise


def _swap(fresh: Path, out: Path) -> None:
    if not out.exists():
        fresh.rename(out)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
    old.rmdir()
    out.rename(old)
    try:
        fresh.rename(out)
    except BaseException:
        old.rename(out)
        raise
    with contextlib.suppress(OSError):
        shutil.rmtree(old)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
