"""Jinja2 templates of every page, and the helpers they share.

Autoescaping is on for every template: text from documents (titles, updates, author
names) is escaped without each template having to remember it. Pages are one file
each, CSS inline, no script or font from elsewhere.

Times are shown in the display zone that each page is rendered with (``zone`` in its
context, UTC without one), each naming its zone, inside a ``<time>`` whose
``datetime`` is the instant in UTC for machines.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from incidentctl.model.types import iso
from incidentctl.when import shown


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("incidentctl.site", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["iso"] = _iso
    env.filters["day"] = lambda d: d.isoformat()
    env.filters["stamps"] = jinja2.pass_context(lambda c, text: stamps(text, c.get("zone")))
    env.filters["when"] = jinja2.pass_context(lambda c, at: when(at, c.get("zone")))
    env.filters["local"] = jinja2.pass_context(lambda c, at: local(at, c.get("zone")))
    env.globals["zone_name"] = zone_name
    return env


def zone_name(zone: tzinfo | None) -> str:
    """The zone as people configure it: ``Europe/Berlin``, ``UTC``."""
    return str(getattr(zone, "key", None) or zone or "UTC")


def local(at: datetime | None, zone: tzinfo | None = None) -> str:
    """An instant as read in ``zone``, the zone named: ``2026-03-12 15:06 CET``
    (seconds only when there are some), as every text of the tool shows it."""
    return "-" if at is None else shown(at, zone)


def when(at: datetime | None, zone: tzinfo | None = None) -> Markup:
    """``<time>`` of an instant: shown in ``zone``, its ``datetime`` in UTC."""
    if at is None:
        return Markup("-")
    return Markup('<time datetime="{}">{}</time>').format(iso(at), local(at, zone))


STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})")


def stamps(text: str, zone: tzinfo | None = None) -> Markup:
    """Text (escaped first) with each ISO 8601 instant in it shown as ``when`` shows it."""
    escaped = str(escape(text))

    def shown(match: re.Match[str]) -> str:
        try:
            at = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
        except ValueError:
            return f'<time class="nowrap">{match.group(0)}</time>'
        return str(when(at, zone))

    return Markup(STAMP.sub(shown, escaped))


def _iso(value: datetime | None) -> str:
    return iso(value) or "-"


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
