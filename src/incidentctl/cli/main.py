"""The ``incidentctl`` command group, and the mapping of errors to exit codes.

Exit codes: 0 ok; 1 problems found; 2 usage or environment error; 3 an unexpected
internal error (a one-line hint; the traceback with ``--debug``); 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from click.shell_completion import CompletionItem

from incidentctl import __version__
from incidentctl.problems import IncidentctlError

if TYPE_CHECKING:
    from incidentctl.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Timestamp(click.ParamType):  # type: ignore[type-arg]
    """An instant as ``--now``/``--at`` take it: ISO 8601, a local time (in ``--tz`` or the
    configured zone), ``-2h`` or ``2 hours ago``, ``yesterday 17:00``."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from incidentctl.when import parse_time

        if isinstance(value, datetime):
            return value
        try:
            parsed = parse_time(str(value), now=now_or(None), zone=display_zone())
        except (ValueError, OverflowError) as error:
            self.fail(str(error), param, ctx)
        return _in_range(self, parsed, value, param, ctx)


class Day(click.ParamType):  # type: ignore[type-arg]
    """A calendar day: ``2026-11-01``, ``yesterday``, ``30 days ago``, ``last monday``."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from incidentctl.when import parse_day

        if isinstance(value, date):
            return value
        try:
            day = parse_day(str(value), now=now_or(None), zone=display_zone())
        except (ValueError, OverflowError) as error:
            self.fail(str(error), param, ctx)
        return _in_range(self, day, value, param, ctx)


def _in_range(
    kind: click.ParamType,  # type: ignore[type-arg]
    parsed: Any,
    value: Any,
    param: click.Parameter | None,
    ctx: click.Context | None,
) -> Any:
    """``parsed`` if its year (as written, and in UTC for an instant) is one documents may
    use, else a usage error: the SLA arithmetic of year 1 or 9999 overflows."""
    from incidentctl.model.types import year_problem

    why = year_problem(parsed)
    if why is None and isinstance(parsed, datetime) and parsed.tzinfo is not None:
        why = year_problem(parsed.astimezone(UTC))
    if why is not None:
        kind.fail(f"{value!r}: {why}", param, ctx)
    return parsed


TIMESTAMP = Timestamp()
DAY = Day()


def display_zone() -> ZoneInfo:
    """The zone times are shown in and local times are read in: ``--tz``, else the
    configured zone, else UTC."""
    top = click.get_current_context(silent=True)
    root = top.find_root() if top is not None else None
    given = root.params.get("tz") if root is not None else None
    if isinstance(given, ZoneInfo):
        return given
    if root is None:
        return ZoneInfo("UTC")
    return settings().zone


def wants_colour(environ: Mapping[str, str], terminal: bool) -> bool:
    """Colour on a terminal, unless NO_COLOR is set to something (no-color.org: an empty
    NO_COLOR is ignored, as an unset one)."""
    return terminal and not environ.get("NO_COLOR")


def now_or(value: datetime | None) -> datetime:
    """The CLI is the only place that reads the clock (to the second, as commits are)."""
    return value if value is not None else datetime.now(UTC).replace(microsecond=0)


def _zone(value: str | None) -> ZoneInfo | None:
    if value is None:
        return None
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{value!r} is not an IANA time zone such as Europe/Berlin or UTC",
            param_hint="'--tz'",
        ) from None


def settings() -> Settings:
    """The repository's settings (file and environment), read once per command line."""
    from incidentctl.config import load_settings

    top = click.get_current_context().find_root()
    if "incidentctl.settings" not in top.meta:
        top.meta["incidentctl.settings"] = load_settings(top.obj, os.environ)
    found: Settings = top.meta["incidentctl.settings"]
    return found


def audited_branch() -> str:
    """The branch a command without ``--ref``/``--branch`` audits (see ``config``)."""
    from incidentctl.config import audited_branch as resolve

    top = click.get_current_context().find_root()
    if "incidentctl.branch" not in top.meta:
        top.meta["incidentctl.branch"] = resolve(top.obj, settings())
    branch: str = top.meta["incidentctl.branch"]
    return branch


BRANCH_HELP = (
    "The audited branch or ref [default: the configured branch, else the remote's HEAD "
    "branch, else main, else master]."
)


def _or_audited_branch(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is not None or ctx.resilient_parsing:
        return value
    return audited_branch()


def branch_option(*names: str, help: str = BRANCH_HELP) -> Callable[[F], F]:
    """``--ref``/``--branch``: a flag wins over ``INCIDENTCTL_BRANCH``, which wins over the file."""
    return click.option(*names, default=None, callback=_or_audited_branch, help=help)


class SuggestingGroup(click.Group):
    """A group that answers a misspelt subcommand with the closest one."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        unknown = name and not name.startswith("-") and self.get_command(ctx, name) is None
        if unknown and not ctx.resilient_parsing:
            from incidentctl.suggest import did_you_mean  # here: only for a misspelt name

            hint = did_you_mean(name, self.list_commands(ctx))
            if hint:
                ctx.fail(f"No such command {name!r}{hint}")
        return super().resolve_command(ctx, args)


class LazyGroup(SuggestingGroup):
    """Imports a subcommand's module only when it runs, so ``--help`` stays fast."""

    COMMANDS: ClassVar[dict[str, str]] = {
        "validate": "incidentctl.cli.validate",
        "init": "incidentctl.cli.init",
        "schema": "incidentctl.cli.schema",
        "new": "incidentctl.cli.new",
        "fmt": "incidentctl.cli.fmt",
        "sla": "incidentctl.cli.sla",
        "log": "incidentctl.cli.log",
        "audit": "incidentctl.cli.audit",
        "github": "incidentctl.cli.github",
        "report": "incidentctl.cli.report",
        "site": "incidentctl.cli.site",
        "rca": "incidentctl.cli.rca",
        "ack": "incidentctl.cli.incident:ack",
        "mitigate": "incidentctl.cli.incident:mitigate",
        "wait": "incidentctl.cli.incident:wait",
        "resume": "incidentctl.cli.incident:resume",
        "resolve": "incidentctl.cli.incident:resolve",
        "close": "incidentctl.cli.incident:close",
        "reopen": "incidentctl.cli.incident:reopen",
        "cancel": "incidentctl.cli.incident:cancel",
        "severity": "incidentctl.cli.incident:severity",
        "update": "incidentctl.cli.incident:update",
        "assign": "incidentctl.cli.incident:assign",
        "defect": "incidentctl.cli.incident:defect",
        "defects": "incidentctl.cli.defects",
        "notify": "incidentctl.cli.notify",
        "completion": "incidentctl.cli.completion",
    }

    # What --help lists, so that listing the commands imports none of them (the models
    # alone take ~0.1 s); a test holds each to its command's own help.
    SUMMARIES: ClassVar[dict[str, str]] = {
        "validate": (
            "Validate incidents, RCAs and policies (every file, or PATHS with the rest as context)."
        ),
        "init": "Start an incident repository in DIR (default: the current folder).",
        "schema": (
            "Print the JSON Schema of KIND (Incident, RCA, SLAPolicy, Calendar, DefectPolicy)."
        ),
        "new": "Scaffold incidents/YYYY/INC-YYYY-NNNN.yaml with the next free id; print its path.",
        "fmt": (
            "Format incidents, RCAs and policies (every file, or PATHS) in the canonical layout."
        ),
        "sla": "SLA state per incident and metric, as of --at on --ref.",
        "log": "Every commit that changed incident ID: who, when, which fields from what to what.",
        "audit": (
            "Integrity of the history: backdated commits, edits of closed incidents, reused "
            "ids, illegal moves, declared times, policy changes that would re-grade, and "
            "more."
        ),
        "github": "Post the pull-request comment and the SLA escalations on GitHub.",
        "report": (
            "Incident figures from the history of --ref: MTTA/MTTM/MTTR/MTTD, SLA attainment,"
            " update cadence, internal detection, breaches, overdue RCAs and actions."
        ),
        "rca": "Root-cause analyses: scaffold one, render the executive report.",
        "site": "The static site: a public status page, customer views and the dashboard.",
        "ack": "Acknowledge incident ID (a SEV1/SEV2 needs a commander).",
        "mitigate": "Mark incident ID mitigated: a workaround is in place.",
        "wait": "Incident ID waits on the customer or a third party (clocks pause).",
        "resume": (
            "End the wait of incident ID: mitigated if it has a workaround, else acknowledged."
        ),
        "resolve": "Resolve incident ID.",
        "close": "Close resolved incident ID: the customer validated the fix.",
        "reopen": "Reopen resolved incident ID (its resolution is removed; history keeps it).",
        "cancel": "Cancel incident ID as a duplicate or a false alarm.",
        "severity": "Change the severity of incident ID.",
        "update": "Add an update to the communication log of incident ID.",
        "assign": "Add assignees to incident ID (handles already assigned are skipped).",
        "defect": "Product defects of an incident.",
        "defects": "Open tracker issues for product defects and RCA actions.",
        "notify": (
            "Notify Slack, email, PagerDuty and webhooks of incident events, exactly once each."
        ),
        "completion": "Print the completion script of SHELL (bash, zsh or fish).",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        # Shortened as click shortens a command's own help.
        shown = [click.Command(name, help=self.SUMMARIES[name]) for name in names]
        rows = [(command.name or "", command.get_short_help_str(limit)) for command in shown]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """The commands with their summaries, importing none of them (a Tab stays quick)."""
        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        return [
            CompletionItem(name, help=self.SUMMARIES[name])
            for name in self.list_commands(ctx)
            if name.startswith(incomplete)
        ]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = self.COMMANDS.get(cmd_name)
        if spec is None:
            return None
        # "package.module" holds ``command``; "package.module:name" names the attribute
        module, _, attribute = spec.partition(":")
        attribute = attribute or "command"
        command: click.Command = getattr(__import__(module, fromlist=[attribute]), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The incident repository (default: the Git work tree around the current folder).",
)
@click.option(
    "--tz",
    metavar="ZONE",
    default=None,
    callback=lambda ctx, param, value: _zone(value),
    help="Show times in ZONE and read local times in it (default: the configured "
    "timezone, else UTC); JSON and CSV always say UTC.",
)
@click.option("--debug", is_flag=True, help="Show the full traceback of internal errors.")
@click.version_option(__version__, prog_name="incidentctl")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, tz: ZoneInfo | None, debug: bool) -> None:
    """GitOps-style, declarative incident management.

    \b
    Examples:
      incidentctl validate
      incidentctl --tz Europe/Berlin sla --at "yesterday 17:00"
      incidentctl -C ~/incidents ack 7 --commander @alice --commit
      incidentctl completion bash
    """
    from incidentctl.fsutil import find_root

    _show_warnings()
    ctx.obj = find_root(root if root is not None else Path.cwd())


def _show_warnings() -> None:
    """The core's warnings (a damaged cache discarded) go to stderr, one line each; with
    ``INCIDENTCTL_VERBOSE`` set, so do its notes (what the replay cache spared)."""
    import logging  # here: --help need not load it

    class Messages(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            level = "warning: " if record.levelno >= logging.WARNING else ""
            click.echo(f"incidentctl: {level}{record.getMessage()}", err=True)

    logger = logging.getLogger("incidentctl")
    verbose = bool(os.environ.get("INCIDENTCTL_VERBOSE"))
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    for handler in list(logger.handlers):
        if type(handler).__name__ == "Messages":
            logger.removeHandler(handler)  # one handler, however often main() runs
    logger.addHandler(Messages())


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or bool(os.environ.get("INCIDENTCTL_DEBUG"))
    with escaping_output():
        code = _run(args, debug)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


@contextlib.contextmanager
def escaping_output() -> Iterator[None]:
    """stdout and stderr escape control characters for as long as the command runs."""
    from incidentctl.cli.safeout import EscapingStream

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = EscapingStream(out), EscapingStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _run(args: list[str], debug: bool) -> Any:
    try:
        code = cli.main(args=args, prog_name="incidentctl", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.exceptions.Abort:
        click.echo("incidentctl: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except click.ClickException as error:
        error.show()
        code = EXIT_USAGE
    except KeyboardInterrupt:
        click.echo("incidentctl: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except IncidentctlError as error:
        click.echo(f"incidentctl: {error}", err=True)
        code = error.exit_code
    except BrokenPipeError:
        code = EXIT_OK
    except Exception as error:  # the last line of defence: one hint, not a traceback
        if debug:
            import traceback  # here: a run that goes well never needs it

            traceback.print_exc()
        click.echo(
            f"incidentctl: internal error: {type(error).__name__}: {error}\n"
            "This is a bug in incidentctl; rerun with --debug for the traceback and report it.",
            err=True,
        )
        code = EXIT_INTERNAL
    return code
