"""An incident's timeline in SVG: status phases, severity steps, each SLA clock's
running, paused and stopped spans with its threshold and breach, customer updates.

Every mark names its instant and its evidence in a ``<title>``, and links to its commit
when the commit's web address is known. Times run left to right on one linear axis,
from the opening (or the earliest mark) to the last mark or the report's instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from markupsafe import Markup, escape

from incidentctl.model.types import iso
from incidentctl.site.render import local
from incidentctl.sla.engine import IncidentResult, MetricResult
from incidentctl.sla.story import Evidence, Story

WIDTH, LEFT, RIGHT, LANE, TOP = 1000, 120, 20, 30, 26
STATUS_TONE = {
    "open": "bad", "acknowledged": "ack", "waiting": "pause", "mitigated": "info",
    "resolved": "good", "closed": "good", "cancelled": "muted",
}  # fmt: skip
SEVERITY_TONE = {"SEV1": "sev1", "SEV2": "sev2", "SEV3": "sev3", "SEV4": "sev4"}
SHOWN = frozenset({"met", "missed", "breached", "running", "at_risk", "paused"})

CommitLink = Callable[[str | None], str | None]


def timeline_svg(
    story: Story,
    result: IncidentResult | None,
    as_of: datetime,
    link: CommitLink,
    zone: tzinfo | None = None,
) -> Markup:
    """The SVG; instants are written in ``zone`` (``data-at`` attributes in UTC)."""

    def shown(at: datetime | None) -> str:
        return local(at, zone)

    metrics = [m for m in (result.metrics if result else []) if m.state in SHOWN and m.cycles]
    instants = [story.opened.at, *(p.evidence.at for p in story.phases)]
    instants += [u.at for u in story.updates]
    for m in metrics:
        for c in m.cycles:
            instants += [c.started_at, *(t for t in (c.stopped_at, c.breached_at) if t)]
            if c.due_at is not None and c.stopped_at is None:
                instants.append(c.due_at)
    start = min(instants)
    open_end = story.phases[-1].phase.status not in ("resolved", "closed", "cancelled")
    end = max([*instants, as_of] if open_end else instants)
    span = max((end - start).total_seconds(), 1.0)
    plot = WIDTH - LEFT - RIGHT

    def x(at: datetime) -> float:
        return round(LEFT + plot * (at - start).total_seconds() / span, 1)

    lanes = 3 + len(metrics)
    height = TOP + lanes * LANE + 24
    out: list[str] = [
        f'<svg class="timeline" role="group" aria-labelledby="tl-{escape(story.id)}" '
        f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="tl-{escape(story.id)}">Timeline of {escape(story.id)} from '
        f"{shown(start)} to {shown(end)}</title>",
        f'<text x="{LEFT}" y="14" class="tick">{shown(start)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="14" class="tick" text-anchor="end">{shown(end)}</text>',
    ]

    def lane_label(row: int, text: str) -> None:
        out.append(
            f'<text x="{LEFT - 8}" y="{TOP + row * LANE + 17}" text-anchor="end">'
            f"{escape(text)}</text>"
        )

    def linked(evidence: Evidence | None, body: str) -> str:
        url = link(evidence.commit) if evidence is not None else None
        return f'<a href="{escape(url)}">{body}</a>' if url else body

    def why(evidence: Evidence | None) -> str:
        if evidence is None:
            return ""
        if evidence.source == "declared":
            return f" (declared {evidence.field} in {(evidence.commit or '')[:12]})"
        return f" (commit {(evidence.commit or '')[:12]} by {evidence.author})"

    # status phases and severity steps
    phases = story.phases
    for row, (name, key, tones) in enumerate(
        (("status", "status", STATUS_TONE), ("severity", "severity", SEVERITY_TONE))
    ):
        lane_label(row, name)
        y = TOP + row * LANE + 4
        previous = None
        for i, entry in enumerate(phases):
            value = getattr(entry.phase, key)
            if value == previous:
                continue
            previous = value
            nxt = next(
                (p.phase.at for p in phases[i + 1 :] if getattr(p.phase, key) != value),
                end,
            )
            x0, x1 = x(entry.phase.at), x(nxt)
            title = f"{name} {value} from {shown(entry.phase.at)}{why(entry.evidence)}"
            out.append(
                linked(
                    entry.evidence,
                    f'<g class="phase" data-lane="{name}" data-value="{escape(value)}" '
                    f'data-at="{iso(entry.phase.at)}"><rect class="{tones.get(value, "muted")}" '
                    f'x="{x0}" y="{y}" width="{max(x1 - x0, 2):.1f}" height="{LANE - 8}"/>'
                    f"<title>{escape(title)}</title>"
                    + (
                        f'<text x="{x0 + 3}" y="{y + 15}" class="on">{escape(value)}</text>'
                        if x1 - x0 > 9 * len(value)
                        else ""
                    )
                    + "</g>",
                )
            )
    # customer updates
    row = 2
    lane_label(row, "customer updates")
    y = TOP + row * LANE
    for u in story.updates:
        out.append(
            linked(
                u,
                f'<g class="update" data-at="{iso(u.at)}"><line x1="{x(u.at)}" y1="{y + 4}" '
                f'x2="{x(u.at)}" y2="{y + LANE - 4}" stroke-width="3"/>'
                f"<title>customer update at {shown(u.at)}{escape(why(u))}</title></g>",
            )
        )
    # one lane per SLA clock
    for row, m in enumerate(metrics, start=3):
        lane_label(row, m.metric)
        out.append(_clock(m, row, x, end, linked, why, shown))
    out.append("</svg>")
    return Markup("".join(out))


def _clock(
    m: MetricResult,
    row: int,
    x: Callable[[datetime], float],
    end: datetime,
    linked: Callable[[Evidence | None, str], str],
    why: Callable[[Evidence | None], str],
    shown: Callable[[datetime | None], str],
) -> str:
    y = TOP + row * LANE + 8
    parts = [f'<g class="clock" data-metric="{escape(m.metric)}" data-state="{m.state}">']
    pauses: list[tuple[datetime, datetime | None, Evidence]] = []
    for mark in m.evidence:
        if mark.event == "pause":
            pauses.append((mark.evidence.at, None, mark.evidence))
        elif mark.event == "resume" and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], mark.evidence.at, pauses[-1][2])
    for c in m.cycles:
        stop = c.stopped_at or end
        tone = "bad" if c.state in ("breached", "missed") else "run"
        parts.append(
            f'<rect class="span {tone}" data-state="{c.state}" x="{x(c.started_at)}" y="{y}" '
            f'width="{max(x(stop) - x(c.started_at), 2):.1f}" height="{LANE - 16}">'
            f"<title>{escape(m.metric)} {c.state}: from {shown(c.started_at)}"
            f"{' to ' + shown(c.stopped_at) if c.stopped_at else ', still running'}"
            "</title></rect>"
        )
        if c.due_at is not None and c.stopped_at is None:
            parts.append(
                f'<line class="due" x1="{x(c.due_at)}" y1="{y - 5}" x2="{x(c.due_at)}" '
                f'y2="{y + LANE - 11}" stroke-dasharray="3 2"><title>{escape(m.metric)} due '
                f"{shown(c.due_at)}</title></line>"
            )
        if c.breached_at is not None:
            bx = x(c.breached_at)
            parts.append(
                f'<path class="breach" d="M{bx - 5} {y - 4}L{bx + 5} {y + LANE - 12}'
                f'M{bx + 5} {y - 4}L{bx - 5} {y + LANE - 12}" stroke-width="2">'
                f"<title>{escape(m.metric)} breached at {shown(c.breached_at)}</title></path>"
            )
    for a, b, evidence in pauses:
        stop = b or end
        parts.append(
            linked(
                evidence,
                f'<rect class="span pause" x="{x(a)}" y="{y}" width="{max(x(stop) - x(a), 2):.1f}" '
                f'height="{LANE - 16}"><title>{escape(m.metric)} paused from {shown(a)}'
                f"{escape(why(evidence))}</title></rect>",
            )
        )
    for mark in m.evidence:
        if mark.event in ("start", "stop"):
            mx = x(mark.evidence.at)
            parts.append(
                linked(
                    mark.evidence,
                    f'<circle class="mark" data-event="{mark.event}" cx="{mx}" '
                    f'cy="{y + (LANE - 16) / 2}" r="4"><title>{escape(m.metric)} clock '
                    f"{mark.event} at {shown(mark.evidence.at)}{escape(why(mark.evidence))}"
                    "</title></circle>",
                )
            )
    parts.append("</g>")
    return "".join(parts)
