"""``incidentctl fmt``: rewrite documents in the canonical layout, comments kept.

The layout, and what it leaves alone (key order among others), is described in
``incidentctl.edit.layout``.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import click


@click.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; list (with a diff) the files that would change, exit 1 if any.",
)
@click.pass_obj
def command(root: Path, paths: tuple[Path, ...], check: bool) -> int:
    """Format incidents, RCAs and policies (every file, or PATHS) in the canonical layout.

    \b
    Examples:
      incidentctl fmt
      incidentctl fmt --check incidents/2026/INC-2026-0007.yaml
    """
    from incidentctl.edit.layout import format_files
    from incidentctl.fsutil import atomic_write
    from incidentctl.load.repository import Repository
    from incidentctl.problems import UsageError

    repository = Repository(root)
    files = repository.expand(paths) if paths else repository.discover()
    changed = failed = 0
    for outcome in format_files([(path, repository.display(path)) for path in files]):
        if outcome.problem is not None:
            failed += 1
            click.echo(outcome.problem.render())
        elif outcome.changed:
            changed += 1
            if check:
                click.echo(f"would reformat {outcome.display}")
                click.echo(_diff(outcome.display, outcome.before, outcome.after), nl=False)
                continue
            try:
                atomic_write(outcome.path, outcome.after)
            except OSError as error:
                raise UsageError(f"{outcome.display}: cannot write: {error.strerror}") from None
            click.echo(f"reformatted {outcome.display}")
    click.echo(_summary(changed, len(files) - changed - failed, failed, check), err=True)
    return 1 if failed or (check and changed) else 0


def _diff(name: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(_lines(before), _lines(after), f"a/{name}", f"b/{name}", n=2)
    )


def _lines(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file\n"
    return lines


def _summary(changed: int, unchanged: int, failed: int, check: bool) -> str:
    def files(count: int) -> str:
        return f"{count} file{'' if count == 1 else 's'}"

    parts = [
        f"{files(changed)} {'would be reformatted' if check else 'reformatted'}",
        f"{files(unchanged)} {'would be left' if check else 'left'} unchanged",
    ]
    if failed:
        parts.append(f"{files(failed)} could not be formatted")
    return ", ".join(parts)
