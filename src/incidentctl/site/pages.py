"""Every page of the site, as text, from the report and the history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo

from incidentctl.history.model import History
from incidentctl.report.metrics import Report
from incidentctl.site.build import Site
from incidentctl.site.dashboard import commit_link, context, incident_context, incident_view
from incidentctl.site.feeds import (
    FEED_PATH,
    INCIDENTS_PATH,
    SUMMARY_PATH,
    atom_feed,
    incidents_json,
    summary_json,
)
from incidentctl.site.render import render
from incidentctl.site.status import StatusPage, Visibility, build_status, slug
from incidentctl.site.timeline import CommitLink
from incidentctl.sla.engine import rca_index


def status_files(page: StatusPage, zone: tzinfo | None = None) -> dict[str, str]:
    """The public part: nothing in it comes from outside ``page`` (the page shows its
    times in ``zone``; the feed and the JSON say UTC)."""
    return {
        "index.html": render(
            "status.html.j2",
            page=page,
            zone=zone,
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
    seen: Visibility | None = None,
    zone: tzinfo | None = None,
) -> Site:
    page = build_status(history, report, title=title, url=url, seen=seen, zone=zone)
    return Site(status_files(page, zone))


def full_site(
    history: History,
    report: Report,
    *,
    title: str,
    url: str = "",
    seen: Visibility | None = None,
    link: CommitLink | None = None,
    customer_report: Callable[[str], Report] | None = None,
    zone: tzinfo | None = None,
) -> Site:
    """The internal site: the dashboard, a page per incident, a view per customer, and
    the public part under ``status/``. ``customer_report`` gives one customer's report."""
    link = link or commit_link(None, None)
    files = {
        f"status/{name}": text
        for name, text in status_files(
            build_status(history, report, title=title, url=url, seen=seen, zone=zone), zone
        ).items()
    }
    customers = sorted({f.customer for f in report.incidents if f.customer})
    slugs = customer_slugs(customers)
    nav = [("Status page", "status/index.html")]
    nav += [(f"Customer: {c}", f"customers/{slugs[c]}.html") for c in customers]
    files["index.html"] = render(
        "dashboard.html.j2",
        **context(report, link, lambda i: f"incidents/{i}.html", zone, views=[], nav=nav),
    )
    rcas = rca_index(history)
    for f in report.incidents:
        view = incident_view(history, f, report.as_of, link, rcas, zone)
        files[f"incidents/{f.id}.html"] = render(
            "incident.html.j2", **incident_context(view, link, report.as_of, zone)
        )
    for customer in customers:
        theirs = customer_report(customer) if customer_report else None
        if theirs is not None:
            files[f"customers/{slugs[customer]}.html"] = render(
                "customer.html.j2",
                **context(theirs, commit_link(None, None), lambda i: f"#{i}", zone),
            )
    return Site(files)


def customer_slugs(customers: Sequence[str]) -> dict[str, str]:
    """Customer -> file name; two names with one slug get numbered apart."""
    taken: dict[str, int] = {}
    result = {}
    for customer in customers:
        base = slug(customer)
        taken[base] = taken.get(base, 0) + 1
        result[customer] = base if taken[base] == 1 else f"{base}-{taken[base]}"
    return result
