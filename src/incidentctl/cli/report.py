"""``incidentctl report``: MTTx, SLA attainment, detection, breaches and overdue follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from incidentctl.cli.main import DAY, TIMESTAMP, branch_option, display_zone, now_or
from incidentctl.cli.progress import Progress

FORMATS = ("table", "markdown", "json", "csv", "html")


@click.command("report")
@click.option(
    "--since",
    type=DAY,
    default=None,
    help="Only incidents opened on or after DATE (UTC), e.g. 2026-11-01 or '30 days ago'.",
)
@click.option(
    "--until",
    type=DAY,
    default=None,
    help="Only incidents opened on or before DATE (UTC), e.g. 2026-11-30 or yesterday.",
)
@click.option("--customer", metavar="C", default=None, help="Only the incidents of customer C.")
@branch_option("--ref")
@click.option(
    "--at",
    "as_of",
    type=TIMESTAMP,
    default=None,
    help="Report as of TIME (default: now); the same TIME gives the same output.",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to PATH (atomically) instead of standard output.",
)
@click.pass_obj
def command(
    root: Path,
    since: date | None,
    until: date | None,
    customer: str | None,
    ref: str,
    as_of: datetime | None,
    fmt: str,
    out: Path | None,
) -> int:  # fmt: skip
    """Incident figures from the history of --ref: MTTA/MTTM/MTTR/MTTD, SLA attainment,
    update cadence, internal detection, breaches, overdue RCAs and actions.

    \b
    Examples:
      incidentctl report --since "30 days ago"
      incidentctl report --since 2026-11-01 --until 2026-11-30 --customer acme --format markdown
      incidentctl report --format html --out report.html
    """
    from incidentctl.cli.notes import warn_unloadable
    from incidentctl.history.replay import replay
    from incidentctl.problems import UsageError
    from incidentctl.rca.files import rcas_at
    from incidentctl.report.html import as_html
    from incidentctl.report.metrics import build_report
    from incidentctl.report.tables import RENDERER_BY_NAME

    first, last = since, until
    if first is not None and last is not None and first > last:
        raise UsageError(f"--since {first} is after --until {last}: swap them")
    with Progress("replaying history") as progress:
        history = replay(root, ref, progress=progress)
    warn_unloadable(history)
    report = build_report(
        history,
        now_or(as_of),
        rcas_at(root, history.head),
        since=first,
        until=last,
        customer=customer,
    )
    if fmt == "html":
        from incidentctl.cli.site import forge_link

        text = as_html(report, history, forge_link(), display_zone())
    else:
        text = RENDERER_BY_NAME[fmt](report)
    if out is None:
        click.echo(text, nl=False)
        return 0
    from incidentctl.fsutil import atomic_write

    try:
        atomic_write(out, text)
    except OSError as error:
        raise UsageError(f"--out {out}: cannot write it: {error.strerror or error}") from None
    click.echo(f"wrote {out}", err=True)
    return 0
