"""``report --format html``: the dashboard as one self-contained file.

The same templates as the site's dashboard (``incidentctl.site``), with each incident's
page folded into the file as a section: inline CSS, inline SVG, one small inline
script that makes tables sortable (the page reads the same without it), nothing
fetched from elsewhere.
"""

from __future__ import annotations

from datetime import tzinfo

from incidentctl.history.model import History
from incidentctl.report.metrics import Report
from incidentctl.site.timeline import CommitLink


def as_html(
    report: Report,
    history: History | None = None,
    link: CommitLink | None = None,
    zone: tzinfo | None = None,
) -> str:
    """The dashboard, every incident's section in it, times shown in ``zone``."""
    from incidentctl.site.dashboard import commit_link, context, incident_view
    from incidentctl.site.render import render
    from incidentctl.sla.engine import rca_index

    link = link or commit_link(None, None)
    rcas = rca_index(history) if history is not None else None
    views = [incident_view(history, f, report.as_of, link, rcas, zone) for f in report.incidents]
    return render(
        "dashboard.html.j2",
        **context(report, link, lambda incident: f"#{incident}", zone, views=views, nav=[]),
    )
