"""``incidentctl schema``: the JSON Schema of each document kind, for editors."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("schema")
@click.argument("kind", required=False)
@click.option(
    "--write",
    "directory",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write one file per kind (incident.json, ...) into DIR instead of printing.",
)
def command(kind: str | None, directory: Path | None) -> int:
    """Print the JSON Schema of KIND (Incident, RCA, SLAPolicy, Calendar, DefectPolicy).

    Without KIND, print every kind's schema as one object keyed by kind.

    \b
    Examples:
      incidentctl schema Incident
      incidentctl schema --write schemas
    """
    from incidentctl.model import KINDS
    from incidentctl.schemas import all_schemas, render, resolve_kind, schema_for, write_schemas

    kinds = (resolve_kind(kind),) if kind is not None else KINDS
    if directory is not None:
        for path, changed in write_schemas(directory, kinds):
            click.echo(f"{'wrote' if changed else 'unchanged'} {path}")
    elif kind is None:
        click.echo(render(all_schemas()), nl=False)
    else:
        click.echo(render(schema_for(kinds[0])), nl=False)
    return 0
