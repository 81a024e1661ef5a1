"""Jinja2 templates of every page, and the helpers they share.

Autoescaping is on for every template: text from documents (titles, updates, author
names) is escaped without each template having to remember it. Pages are one file
each, CSS inline, no script or font from elsewhere.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from incidentctl.model.types import iso


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
    env.filters["stamps"] = stamps
    return env


STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})")


def stamps(text: str) -> Markup:
    """Text with each ISO 8601 instant in it kept on one line (escaped first)."""
    escaped = str(escape(text))
    return Markup(STAMP.sub(lambda m: f'<time class="nowrap">{m.group(0)}</time>', escaped))


def _iso(value: datetime | None) -> str:
    return iso(value) or "-"


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
