"""``incidentctl rca render``: the executive report of an RCA, as Markdown or HTML.

The report is built once as data (sections of paragraphs, lists and tables) and then
written in either format, so the two never say different things. Every text from a
document is escaped for the format it goes into.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta

from incidentctl.model import RCA, Incident
from incidentctl.model.rca import Action
from incidentctl.model.types import format_span, iso
from incidentctl.report.metrics import IncidentFigures

CORRECTIVE = frozenset({"fix", "mitigate"})

Table = tuple[tuple[str, ...], list[tuple[str, ...]]]
Block = str | list[str] | Table


@dataclass
class Section:
    heading: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Executive:
    title: str
    facts: list[tuple[str, str]]
    sections: list[Section]


def _or(value: object, empty: str = "not stated") -> str:
    return empty if value is None or value == "" else str(value)


def _actions(actions: list[Action]) -> Block:
    if not actions:
        return "None recorded."
    rows: list[tuple[str, ...]] = [
        (
            a.id,
            a.title,
            a.type,
            _or(a.owner, "no owner"),
            _or(a.due.isoformat() if a.due else None, "no date"),
            a.status,
            _or(a.tracker, "-"),
        )
        for a in actions
    ]
    return (("id", "action", "type", "owner", "due", "status", "tracker"), rows)


def _report_due(figures: IncidentFigures) -> tuple[str, str]:
    """When the report is due, as the SLA engine judges the ``rca`` metric: its target
    follows the highest severity the incident reached."""
    metric = (
        next((m for m in figures.result.metrics if m.metric == "rca"), None)
        if (figures.result)
        else None
    )
    if metric is None or metric.target is None:
        return ("Report due", "no rca target in the SLA policy")
    target = format_span(metric.target.total_seconds(), metric.business)
    label = f"Report due ({target} after resolution)"
    if metric.due_at is not None:
        return (label, _or(iso(metric.due_at)))
    elapsed = format_span(metric.elapsed.total_seconds(), metric.business)
    return (label, f"{metric.state}, after {elapsed}")


def _review_due(figures: IncidentFigures) -> str:
    """The follow-up review's deadline and state, as the SLA engine judges ``follow_up``."""
    metrics = figures.result.metrics if figures.result is not None else []
    metric = next((m for m in metrics if m.metric == "follow_up"), None)
    if metric is None or metric.target is None:
        return "SLA: " + (
            "no follow-up target in the SLA policy"
            if metric is None or metric.state == "not_applicable"
            else "runs once the report is published"
        )
    target = format_span(metric.target.total_seconds(), metric.business)
    if metric.due_at is not None:
        return f"SLA: due {iso(metric.due_at)} ({target} after publication), {metric.state}"
    elapsed = format_span(metric.elapsed.total_seconds(), metric.business)
    return f"SLA: {metric.state}, held {elapsed} after publication (target {target})"


def executive(
    rca_id: str, rca: RCA, incident: Incident | None, figures: IncidentFigures | None, ref: str
) -> Executive:
    """The executive report of one RCA: what happened, to whom, why, and what is done about it."""
    title = f"Incident report {rca_id}" + (f": {incident.title}" if incident else "")
    facts = [
        ("Incidents", ", ".join(rca.incident_ids)),
        ("RCA status", rca.status),
        ("Owner", _or(rca.owner)),
        ("Facilitator", _or(rca.facilitator)),
        ("Post-mortem meeting", _or(iso(rca.meeting_at), "not held yet")),
        ("Shared with the customer", _or(iso(rca.shared_with_customer_at), "not yet")),
    ]
    if incident is not None:
        facts[1:1] = [("Severity", incident.severity), ("Customer", _or(incident.customer, "-"))]
    resolved = None
    if figures is not None and figures.times["resolve"] is not None:
        resolved = figures.opened_at + timedelta(seconds=figures.times["resolve"])
        facts.append(("Resolved", _or(iso(resolved))))
        facts.append(_report_due(figures))
    impact = rca.impact
    sections = [
        Section("Summary", [_or(rca.summary)]),
        Section(
            "Impact",
            [
                (
                    ("measure", "value"),
                    [
                        ("customers affected", _or(impact.customers)),
                        ("transactions affected", _or(impact.transactions)),
                        ("money", _or(impact.money)),
                        ("duration", _or(impact.duration)),
                    ],
                ),
                *([impact.description] if impact.description else []),
            ],
        ),
        Section("Trigger", [_or(rca.trigger)]),
        Section(
            "Root causes",
            [[f"{c.category}: {c.description}" for c in rca.root_causes] or "Not found yet."],
        ),
    ]
    if rca.contributing_factors:
        sections.append(Section("Contributing factors", [list(rca.contributing_factors)]))
    sections += [
        Section(
            "Detection",
            [
                f"How: {_or(rca.detection.how)}",
                f"Why not earlier: {_or(rca.detection.why_not_earlier)}",
            ],
        ),
        Section("Resolution", [_or(rca.resolution)]),
        Section(
            "Corrective actions",
            [_actions([a for a in rca.actions if a.type in CORRECTIVE])],
        ),
        Section(
            "Preventive measures",
            [_actions([a for a in rca.actions if a.type not in CORRECTIVE])],
        ),
    ]
    lessons = rca.lessons
    learned = [
        *(f"Went well: {t}" for t in lessons.went_well),
        *(f"Went wrong: {t}" for t in lessons.went_wrong),
        *(f"Got lucky: {t}" for t in lessons.got_lucky),
    ]
    if learned:
        sections.append(Section("Lessons", [learned]))
    follow: list[Block] = [
        "Planned: " + _or(rca.follow_up_at.isoformat() if rca.follow_up_at else None, "not set"),
        "Held: " + _or(iso(rca.follow_up.held_at), "not held yet"),
    ]
    if rca.follow_up_at is not None and resolved is not None:
        weeks = (rca.follow_up_at - resolved.date()).days / 7
        if not 2 <= weeks <= 4:
            follow.append(f"Note: {weeks:.1f} weeks after resolution; the goal is 2 to 4 weeks.")
    if figures is not None:
        follow.append(_review_due(figures))
    if rca.follow_up.notes:
        follow.append(rca.follow_up.notes)
    sections.append(Section("Follow-up", follow))
    if figures is not None:
        rows: list[tuple[str, ...]] = [
            (_or(iso(e.at)), e.what, e.commit[:12], e.author) for e in figures.events
        ]
        sections.append(
            Section(
                "Timeline",
                [
                    f"From the history of {ref}: each event names the commit that recorded it.",
                    (("time (UTC)", "event", "commit", "author"), rows),
                ],
            )
        )
    return Executive(title, facts, sections)


def _md(text: str) -> str:
    """Text from a document in Markdown: one line, no markup, no HTML, no table breaks."""
    out = html.escape(" ".join(text.split()), quote=False)
    for char in "\\`*_[]|#":
        out = out.replace(char, "\\" + char)
    # a lone ">" is markup only at the start of a line (a quote); "a -> b" stays readable
    return out[:4] + out[4:].replace("&gt;", ">")


def markdown(report: Executive) -> str:
    lines = [f"# {_md(report.title)}", ""]
    lines += [f"- **{name}:** {_md(value)}" for name, value in report.facts]
    for section in report.sections:
        lines += ["", f"## {section.heading}", ""]
        for block in section.blocks:
            if isinstance(block, str):
                lines += [_md(block), ""]
            elif isinstance(block, list):
                lines += [f"- {_md(item)}" for item in block] + [""]
            else:
                headers, rows = block
                lines.append("| " + " | ".join(headers) + " |")
                lines.append("|" + "---|" * len(headers))
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
                lines.append("")
    text = "\n".join(lines).rstrip("\n") + "\n"
    return re.sub(r"\n{3,}", "\n\n", text)


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
body{color:#1b1f24}table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}dt{font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
"""


def as_html(report: Executive) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(report.title)}</h1><dl>",
        *(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in report.facts),
        "</dl>",
    ]
    for section in report.sections:
        slug = section.heading.lower().replace(" ", "-")
        parts.append(f'<section id="{e(slug)}"><h2>{e(section.heading)}</h2>')
        for block in section.blocks:
            if isinstance(block, str):
                parts.append(f"<p>{e(block)}</p>")
            elif isinstance(block, list):
                parts.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in block) + "</ul>")
            else:
                headers, rows = block
                head = "".join(f"<th>{e(h)}</th>" for h in headers)
                body = "".join(
                    "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


RENDERER_BY_NAME = {"markdown": markdown, "html": as_html}
