"""Git's object id of a blob, computed without Git, to compare a work-tree file with history."""

from __future__ import annotations

import hashlib


def blob_ids(text: str) -> set[str]:
    """The ids the text could have as a blob: as written, and with LF line endings.

    Both SHA-1 and SHA-256 ids are returned, so the caller need not know the
    repository's object format; a checkout with CRLF line endings still matches.
    """
    found = set()
    for variant in {text, text.replace("\r\n", "\n")}:
        raw = variant.encode("utf-8")
        header = b"blob %d\0" % len(raw)
        found.add(hashlib.sha1(header + raw, usedforsecurity=False).hexdigest())
        found.add(hashlib.sha256(header + raw).hexdigest())
    return found
