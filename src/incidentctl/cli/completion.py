"""``incidentctl completion SHELL``: the shell's completion script, printed.

The script asks ``incidentctl`` itself for each completion (click's protocol, through
the ``_INCIDENTCTL_COMPLETE`` variable), so it completes what the repository holds at
the moment of the Tab: commands, options, incident ids and severities.
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS, case_sensitive=False))
def command(shell: str) -> int:
    """Print the completion script of SHELL (bash, zsh or fish).

    It completes commands, options, incident ids (from the repository's incidents,
    typed in any case, by any part of the id) and severities (in any case).

    \b
    Examples:
      eval "$(incidentctl completion bash)"    # in ~/.bashrc
      eval "$(incidentctl completion zsh)"     # in ~/.zshrc, after compinit
      incidentctl completion fish > ~/.config/fish/completions/incidentctl.fish
    """
    from incidentctl.cli.main import cli

    kind = get_completion_class(shell.lower())
    assert kind is not None  # click knows each of SHELLS
    # as is: zsh reads its first line (#compdef) when the script is in $fpath
    script = kind(cli, {}, "incidentctl", "_INCIDENTCTL_COMPLETE").source()
    click.echo(script.rstrip("\n"))
    return 0
