"""Every page of the site, as text, from the report and the history."""

from __future__ import annotations

from collections.abc import Mapping

from incidentctl.history.model import History
from incidentctl.report.metrics import Report
from incidentctl.site.build import Site
from incidentctl.site.feeds import (
    FEED_PATH,
    INCIDENTS_PATH,
    SUMMARY_PATH,
    atom_feed,
    incidents_json,
    summary_json,
)
from incidentctl.site.render import render
from incidentctl.site.status import StatusPage, build_status


def status_files(page: StatusPage) -> dict[str, str]:
    """The public part: nothing in it comes from outside ``page``."""
    return {
        "index.html": render(
            "status.html.j2",
            page=page,
            feed=FEED_PATH,
            summary=SUMMARY_PATH,
            incidents=INCIDENTS_PATH,
        ),
        FEED_PATH: atom_feed(page),
        SUMMARY_PATH: summary_json(page),
        INCIDENTS_PATH: incidents_json(page),
    }


def public_site(
    history: History,
    report: Report,
    *,
    title: str,
    url: str = "",
    names: Mapping[str, str | None] | None = None,
) -> Site:
    return Site(status_files(build_status(history, report, title=title, url=url, names=names)))


def full_site(
    history: History,
    report: Report,
    *,
    title: str,
    url: str = "",
    names: Mapping[str, str | None] | None = None,
) -> Site:
    from incidentctl.report.html import as_html

    files = {
        f"status/{name}": text
        for name, text in status_files(
            build_status(history, report, title=title, url=url, names=names)
        ).items()
    }
    files["index.html"] = as_html(report)
    return Site(files)
