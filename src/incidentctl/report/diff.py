"""Render what merging a pull request now does to SLAs: Markdown (the PR comment), JSON, text.

The sentences are written for a reviewer who reads them in seconds: "Merging now
resolves INC-2026-0042 after 3h12m of 4h: resolve met". Everything that comes from
the pull request's files (paths, validation messages) is shown as code, so that
nothing in a file can format the comment or mention anyone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from incidentctl import __version__
from incidentctl.model.types import format_span, iso
from incidentctl.problems import Problem
from incidentctl.report.sla import STATE_ICONS, metric_json
from incidentctl.sla.clock import Cycle
from incidentctl.sla.diff import IncidentChange, MetricChange, SlaDiff
from incidentctl.sla.engine import MetricResult
from incidentctl.when import shown as shown_at

MARKER = "<!-- incidentctl:sla-comment -->"
# GitHub refuses comments over 65 536 characters; leave room for the tracker's footer.
COMMENT_LIMIT = 60_000
# A step's job summary holds at most 1 MiB (of UTF-8); leave room for other steps' lines.
SUMMARY_LIMIT = 1_000_000
COMMENT_CUT = (
    "_…cut to fit a comment: the full text is in the job summary of the pull request's "
    "workflow run (or run `incidentctl sla --diff`)._"
)
SUMMARY_CUT = "_…cut to fit a job summary: run `incidentctl sla --diff` for the rest._"
_PROBLEMS_SHOWN = 100

_STOP_VERB = {
    "acknowledge": "acknowledges",
    "first_update": "posts the first customer update of",
    "update_every": "posts a customer update of",
    "mitigate": "mitigates",
    "resolve": "resolves",
    "postmortem": "holds the postmortem of",
    "rca": "publishes the RCA of",
    "follow_up": "holds the RCA follow-up review of",
}
_RANK = {"SEV1": 1, "SEV2": 2, "SEV3": 3, "SEV4": 4, "NONPROD": 5}


# -- words ------------------------------------------------------------------------------


def _duration(value: timedelta | None, business: bool = False, label: bool = True) -> str:
    """``27h business`` for business time, ``1d3h`` for wall-clock time."""
    return format_span(value.total_seconds(), business, label) if value is not None else "?"


def _progress(cycle: Cycle) -> str:
    """``3h of 27h business``: elapsed of target, on the cycle's calendar."""
    elapsed = _duration(cycle.elapsed, cycle.business, label=False)
    return f"{elapsed} of {_duration(cycle.target, cycle.business)}"


def _when(value: datetime | None, as_of: datetime) -> str:
    """``10:05 UTC`` on the day of ``as_of``, else with the date, in ``as_of``'s zone (the
    display zone: the command line hands the diff over with ``as_of`` in it)."""
    return "?" if value is None else shown_at(value, as_of.tzinfo, as_of)


def _severity_move(change: IncidentChange) -> str | None:
    """``Raises severity of INC-… to SEV1`` or ``Lowers …``, when the merge changes it."""
    if change.severity is None:
        return None
    old, new = change.severity
    verb = "Raises" if _RANK.get(new, 9) < _RANK.get(old, 9) else "Lowers"
    return f"{verb} severity of {change.id} from {old} to {new}"


def _stop(change: IncidentChange, m: MetricChange, as_of: datetime) -> str:
    cycle = m.stopped
    assert cycle is not None
    verb = _STOP_VERB.get(m.metric, f"stops {m.metric} of")
    text = f"Merging now {verb} {change.id} after {_progress(cycle)}: {m.metric} {cycle.state}"
    if m.late is not None:
        text += f" ({_duration(m.late, cycle.business)} late)"
    if m.started is not None and m.started.due_at is not None:
        text += f"; next due {_when(m.started.due_at, as_of)}"
    return text


def metric_sentence(change: IncidentChange, m: MetricChange, as_of: datetime) -> str:
    """One metric's change in words."""
    after, before = m.after, m.before
    moved = _severity_move(change)
    if m.kind in ("met", "missed"):
        return _stop(change, m, as_of)
    if m.kind == "started":
        due = _when(after.due_at if after else None, as_of)
        status = change.status
        if m.metric == "resolve" and status and status[1] not in ("resolved", "closed"):
            return f"Merging now reopens {change.id}: resolve due {due}"
        return f"Merging now starts {m.metric} of {change.id}: due {due}"
    if m.kind == "breached":
        since = _when(after.breached_at if after else None, as_of)
        lead = moved or f"Merging now puts {m.metric} of {change.id} past its target"
        return f"{lead}: {m.metric} breached since {since}"
    if m.kind == "breach_stays":
        since = _when(after.breached_at if after else None, as_of)
        lead = f"{moved} after a breach" if moved else f"{change.id}: {m.metric} was breached"
        return f"{lead}: the {m.metric} breach stays (since {since})"
    if m.kind == "due_moved":
        old = _when(before.due_at if before else None, as_of)
        new = _when(after.due_at if after else None, as_of)
        lead = moved or f"Merging now changes {m.metric} of {change.id}"
        return f"{lead}: {m.metric} due {new} (was {old})"
    if m.kind == "paused":
        paused_by = change.after.status if change.after else "?"
        left = _duration(after.remaining if after else None, after is not None and after.business)
        return f"Merging now pauses {m.metric} of {change.id} ({paused_by}): {left} left"
    if m.kind == "resumed":
        return (
            f"Merging now resumes {m.metric} of {change.id}: "
            f"due {_when(after.due_at if after else None, as_of)}"
        )
    if m.kind == "not_applicable":
        note = change.after.note if change.after and change.after.note else ""
        return f"{m.metric} of {change.id} no longer applies" + (f" ({note})" if note else "")
    old_state = before.state if before else "absent"
    new_state = after.state if after else "absent"
    lead = moved or change.id
    return f"{lead}: {m.metric} {old_state} → {new_state}"


def incident_sentences(change: IncidentChange, as_of: datetime) -> list[str]:
    """The lines a reviewer reads about one incident."""
    after = change.after
    if change.change == "removed":
        return [f"Removes {change.id}: its SLA clocks are no longer tracked"]
    if change.change == "opened" and after is not None:
        head = f"Opens {change.id} ({after.severity}"
        head += f", policy {after.policy})" if after.policy else ")"
        parts = []
        for m in change.metrics:
            if m.kind == "started" and m.after is not None:
                parts.append(f"{m.metric} due {_when(m.after.due_at, as_of)}")
            else:
                parts.append(f"{m.metric} {m.after.state if m.after else 'absent'}")
        if not parts:
            parts.append(after.note or "no SLA target applies")
        return [f"{head}: {', '.join(parts)}"]
    sentences = [metric_sentence(change, m, as_of) for m in change.metrics]
    if not sentences:
        moved = _severity_move(change)
        if moved:
            sentences.append(f"{moved}: no SLA clock changes")
    return sentences


def summary(diff: SlaDiff) -> dict[str, int]:
    kinds = [m.kind for i in diff.incidents for m in i.metrics]
    return {
        "incidents": len(diff.incidents),
        "met": kinds.count("met"),
        "missed": kinds.count("missed"),
        "breached": kinds.count("breached"),
        "breach_stays": kinds.count("breach_stays"),
        "started": kinds.count("started"),
        "changed": len(kinds),
        "errors": len(diff.errors),
        "warnings": len(diff.problems) - len(diff.errors),
    }


def headline(diff: SlaDiff) -> str:
    counts = summary(diff)
    base = diff.landing.range.base
    if diff.landing.merge is None:
        return f"⚠️ Conflicts with {base}: the SLA effect is unknown until they are resolved"
    bad = counts["missed"] + counts["breached"]
    if bad:
        text = f"🔴 Merging now misses {_plural(bad, 'SLA target')}"
    elif counts["breach_stays"]:
        text = f"🔴 {_plural(counts['breach_stays'], 'SLA target')} stay breached"
    elif counts["met"]:
        text = f"🟢 Merging now meets {_plural(counts['met'], 'SLA target')}"
    elif counts["changed"]:
        text = f"🔵 Merging now changes {_plural(counts['changed'], 'SLA clock')}"
    elif diff.incidents:
        text = "⚪ Merging now changes no SLA clock"
    else:
        text = "⚪ This pull request touches no incident"
    if counts["errors"]:
        text = f"❌ Validation errors: {counts['errors']} · {text.split(' ', 1)[1]}"
    return text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- JSON -------------------------------------------------------------------------------


def _problem_json(p: Problem) -> dict[str, Any]:
    return {"path": p.path, "line": p.line, "col": p.col, "level": p.level,
            "rule": p.rule, "message": p.message}  # fmt: skip


def diff_dict(diff: SlaDiff) -> dict[str, Any]:
    landing = diff.landing
    as_of = diff.as_of

    def metric(m: MetricResult | None) -> dict[str, Any] | None:
        return metric_json(m) if m is not None else None

    return {
        "as_of": iso(as_of),
        "base": {"ref": landing.range.base, "commit": landing.base},
        "head": {"ref": landing.range.head, "commit": landing.head},
        "merge_base": landing.merge_base,
        "merge": {
            "commit": landing.merge,
            "at": iso(landing.at),
            "fast_forward": landing.fast_forward,
            "conflicts": list(landing.conflicts),
        },
        "headline": headline(diff),
        "summary": summary(diff),
        "changed_files": list(landing.changed),
        "validation": {
            "checked": diff.validated,
            "errors": len(diff.errors),
            "warnings": len(diff.problems) - len(diff.errors),
            "problems": [_problem_json(p) for p in diff.problems],
        },
        "incidents": [
            {
                "id": change.id,
                "change": change.change,
                "severity": _pair(change.before, change.after, "severity"),
                "status": _pair(change.before, change.after, "status"),
                "policy": _pair(change.before, change.after, "policy"),
                "messages": incident_sentences(change, as_of),
                "metrics": [
                    {
                        "metric": m.metric,
                        "change": m.kind,
                        "message": metric_sentence(change, m, as_of),
                        "late_seconds": int(m.late.total_seconds()) if m.late else None,
                        "before": metric(m.before),
                        "after": metric(m.after),
                    }
                    for m in change.metrics
                ],
            }
            for change in diff.incidents
        ],
    }


def _pair(before: Any, after: Any, name: str) -> dict[str, Any]:
    return {
        "before": getattr(before, name) if before is not None else None,
        "after": getattr(after, name) if after is not None else None,
    }


def as_json(diff: SlaDiff) -> str:
    return json.dumps(diff_dict(diff), indent=2, ensure_ascii=False)


# -- Markdown ---------------------------------------------------------------------------


def _cell(m: MetricResult | None, as_of: datetime, icon: bool = True) -> str:
    """A metric's state (the worst of its cycles), and where its latest cycle stands."""
    if m is None:
        return "—"
    text = f"{STATE_ICONS.get(m.state, '')} {m.state}" if icon else m.state
    if not m.cycles or m.cycles[-1].target is None:
        return text
    cycle = m.cycles[-1]
    if cycle.state != m.state:
        text += f"; latest cycle {cycle.state}"
    text += f", {_progress(cycle)}"
    if cycle.state == "breached" and cycle.breached_at is not None:
        text += f", since {_when(cycle.breached_at, as_of)}"
    elif cycle.state in ("running", "at_risk") and cycle.due_at is not None:
        text += f", due {_when(cycle.due_at, as_of)}"
    elif cycle.state == "missed" and cycle.remaining is not None:
        text += f", {_duration(-cycle.remaining, cycle.business)} late"
    return text


def _code(text: str) -> str:
    """Inline code that no backtick in ``text`` can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(lines: Sequence[str]) -> list[str]:
    body = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *lines, fence]


def markdown(diff: SlaDiff, limit: int = COMMENT_LIMIT, note: str = COMMENT_CUT) -> str:
    """The pull request comment: marker, headline, sentences, table, details.

    At most ``limit`` characters (UTF-8 bytes would be more; the comment's limit counts
    characters): fewer validation problems are listed first, then the text is cut and
    ``note`` says where the rest is.
    """
    return _fit(diff, lambda text: len(text) <= limit, limit, note)


def summary_markdown(diff: SlaDiff) -> str:
    """The same text for the job summary, whose limit (1 MiB) is far larger: the comment
    points there when it was cut, so the summary must not be cut with it."""
    return _fit(diff, lambda text: len(text.encode("utf-8")) <= SUMMARY_LIMIT,
                SUMMARY_LIMIT, SUMMARY_CUT)  # fmt: skip


def _fit(diff: SlaDiff, fits: Callable[[str], bool], room: int, note: str) -> str:
    """The text, with fewer problems listed, else cut to ``room`` characters or fewer."""
    text = _markdown(diff, _PROBLEMS_SHOWN)
    shown = _PROBLEMS_SHOWN
    while not fits(text) and shown > 0:
        shown //= 2
        text = _markdown(diff, shown)
    if not fits(text):  # a pathological number of incidents: keep the head, say so
        kept = text[: room - 300]
        while not fits(kept + note + "\n\n\n"):
            kept = kept[: len(kept) * 9 // 10]
        text = f"{kept.rsplit(chr(10), 1)[0]}\n\n{note}\n"
    return text


def _markdown(diff: SlaDiff, problems_shown: int) -> str:
    landing, as_of = diff.landing, diff.as_of
    counts = summary(diff)
    out = [MARKER, f"### {headline(diff)}", ""]
    facts = [f"{_plural(counts['incidents'], 'incident')} touched"]
    facts += [f"{counts[k]} {k}" for k in ("missed", "breached", "met") if counts[k]]
    if counts["warnings"]:
        facts.append(_plural(counts["warnings"], "validation warning"))
    out += [" · ".join(facts) + f" · if merged at {_when(as_of, as_of)}", ""]
    if landing.merge is None:
        out.append(f"This pull request conflicts with {_code(landing.range.base)} in:")
        out += [f"- {_code(path)}" for path in landing.conflicts]
        out.append("")
    sentences = [s for change in diff.incidents for s in incident_sentences(change, as_of)]
    out += [f"- {s}" for s in sentences]
    if sentences:
        out.append("")
    rows = [(c, m) for c in diff.incidents for m in c.metrics]
    if rows:
        out += [
            f"| Incident | Metric | On {_code(landing.range.base)} | If merged now |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {c.id} | {m.metric} | {_cell(m.before, as_of)} | {_cell(m.after, as_of)} |"
            for c, m in rows
        ]
        out.append("")
    if diff.problems:
        label = f"Validation errors: {counts['errors']}"
        if counts["warnings"]:
            label += f", warnings: {counts['warnings']}"
        lines = [p.render() for p in diff.problems[:problems_shown]]
        if len(diff.problems) > problems_shown:
            lines.append(f"… and {len(diff.problems) - problems_shown} more")
        out += [f"<details open><summary>{label}</summary>", "", *_fenced(lines), "", "</details>"]
        out.append("")
    out += _details(diff)
    return "\n".join(out) + "\n"


def _details(diff: SlaDiff) -> list[str]:
    landing, as_of = diff.landing, diff.as_of
    quiet = [c.id for c in diff.incidents if c.change == "unchanged"]
    lines = ["<details><summary>How this was computed</summary>", ""]
    lines.append(
        f"- Base {_code(landing.range.base)} at `{landing.base[:12]}`, head "
        f"{_code(landing.range.head)} at `{landing.head[:12]}`, merge base "
        f"`{landing.merge_base[:12]}`."
    )
    if landing.merge is not None:
        how = "the head's tree" if landing.fast_forward else "a three-way merge"
        lines.append(
            f"- Simulated merge `{landing.merge[:12]}` ({how}) landing at "
            f"{shown_at(as_of, as_of.tzinfo)}; "
            "the base's first-parent history plus that commit is replayed. No ref was changed."
        )
    if quiet:
        lines.append(f"- Touched without an SLA change: {', '.join(quiet)}.")
    if landing.changed:
        shown = ", ".join(_code(p) for p in landing.changed[:50])
        more = f" and {len(landing.changed) - 50} more" if len(landing.changed) > 50 else ""
        lines.append(f"- Changed files ({len(landing.changed)}): {shown}{more}.")
    lines += ["", f"_incidentctl {__version__}_", "", "</details>"]
    return lines


# -- text -------------------------------------------------------------------------------


def text(diff: SlaDiff) -> str:
    as_of = diff.as_of
    out = [headline(diff), ""]
    if diff.landing.merge is None:
        out += [f"conflict: {path}" for path in diff.landing.conflicts]
    out += [s for change in diff.incidents for s in incident_sentences(change, as_of)]
    rows = [("INCIDENT", "METRIC", f"ON {diff.landing.range.base}", "IF MERGED NOW")]
    rows += [
        (c.id, m.metric, _cell(m.before, as_of, False), _cell(m.after, as_of, False))
        for c in diff.incidents
        for m in c.metrics
    ]
    if len(rows) > 1:
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        out.append("")
        out += [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
    if diff.problems:
        out += ["", *(p.render() for p in diff.problems)]
    out += [
        "",
        f"if merged at {shown_at(as_of, as_of.tzinfo)}: "
        f"{_plural(len(diff.incidents), 'incident')} touched",
    ]
    return "\n".join(out)


RENDERER_BY_NAME: dict[str, Callable[[SlaDiff], str]] = {
    "table": text,
    "json": as_json,
    "markdown": summary_markdown,  # printed: in the workflow, the job summary
}
