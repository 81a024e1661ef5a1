"""The status page for machines: Statuspage-shaped JSON and an Atom feed.

``api/v2/summary.json`` and ``api/v2/incidents.json`` carry the field names of
Atlassian Statuspage's public API (v2), so that status aggregators and customers'
scripts written for it read ours unchanged; ``history.atom`` has one entry per
incident, its content the incident's customer updates.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from incidentctl.model.types import iso
from incidentctl.site.status import Component, PublicIncident, StatusPage, slug

ATOM = "http://www.w3.org/2005/Atom"
SUMMARY_PATH = "api/v2/summary.json"
INCIDENTS_PATH = "api/v2/incidents.json"
FEED_PATH = "history.atom"


def _page(page: StatusPage) -> dict[str, Any]:
    return {
        "id": slug(page.title),
        "name": page.title,
        "url": page.url,
        "time_zone": "Etc/UTC",
        "updated_at": iso(page.as_of),
    }


def _component(page: StatusPage, c: Component) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "status": c.status,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "position": c.position,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": slug(page.title),
        "group": False,
        "only_show_if_degraded": False,
    }


def _incident(page: StatusPage, i: PublicIncident) -> dict[str, Any]:
    components = [_component(page, c) for c in page.components if c.name in i.components]
    return {
        "id": i.id,
        "name": i.name,
        "status": i.status,
        "created_at": iso(i.created_at),
        "updated_at": iso(i.updated_at),
        "monitoring_at": iso(i.monitoring_at),
        "resolved_at": iso(i.resolved_at),
        "impact": i.impact,
        "shortlink": f"{page.url.rstrip('/')}/#{i.id}" if page.url else f"#{i.id}",
        "started_at": iso(i.created_at),
        "page_id": slug(page.title),
        "incident_updates": [
            {
                "id": u.id,
                "status": u.status,
                "body": u.body,
                "incident_id": i.id,
                "created_at": iso(u.at),
                "updated_at": iso(u.at),
                "display_at": iso(u.at),
                "affected_components": None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for u in i.updates
        ],
        "components": components,
    }


def summary_json(page: StatusPage) -> str:
    data = {
        "page": _page(page),
        "components": [_component(page, c) for c in page.components],
        "incidents": [_incident(page, i) for i in page.open_incidents],
        "scheduled_maintenances": [],
        "status": {"indicator": page.indicator, "description": page.description},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def incidents_json(page: StatusPage) -> str:
    data = {"page": _page(page), "incidents": [_incident(page, i) for i in page.incidents]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def atom_feed(page: StatusPage) -> str:
    """Atom 1.0 (RFC 4287); ids are tag-free URNs unless the page's URL is known."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    base = page.url.rstrip("/")
    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", f"{base}/{FEED_PATH}" if base else f"urn:incidentctl:{slug(page.title)}")
    sub(feed, "title", f"{page.title}: status history")
    sub(feed, "updated", iso(page.as_of))
    if base:
        sub(feed, "link", rel="alternate", type="text/html", href=f"{base}/")
        sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/{FEED_PATH}")
    author = sub(feed, "author")
    sub(author, "name", page.title)
    for incident in page.incidents:
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base}/#{incident.id}" if base else f"urn:incidentctl:{incident.id}")
        sub(entry, "title", incident.name)
        sub(entry, "updated", iso(incident.updated_at))
        sub(entry, "published", iso(incident.created_at))
        if base:
            sub(entry, "link", rel="alternate", type="text/html", href=f"{base}/#{incident.id}")
        lines = [f"Status: {incident.status}. Affected: {', '.join(incident.components)}."]
        lines += [f"{iso(u.at)} ({u.status}): {u.body}" for u in incident.updates]
        sub(entry, "content", "\n".join(lines), type="text")
    text: str = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n"
