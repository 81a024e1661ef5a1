"""``incidentctl --help`` lists every command without importing any of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

from incidentctl.cli.main import LazyGroup, cli


@pytest.mark.parametrize("limit", [20, 45, 72, 10_000])
def test_each_listed_summary_is_its_commands_own_short_help(limit: int) -> None:
    ctx = click.Context(cli)
    assert set(LazyGroup.SUMMARIES) == set(LazyGroup.COMMANDS)
    for name, summary in LazyGroup.SUMMARIES.items():
        command = cli.get_command(ctx, name)
        assert command is not None
        listed = click.Command(name, help=summary).get_short_help_str(limit)
        assert listed == command.get_short_help_str(limit), name


def test_help_imports_no_command_and_no_model(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom incidentctl.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('incidentctl.', 'pydantic'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path)  # fmt: skip
    assert "Commands:" in done.stdout and "validate" in done.stdout
    loaded = done.stdout.strip().splitlines()[-1]
    assert loaded == (
        "['incidentctl.cli', 'incidentctl.cli.main', 'incidentctl.cli.safeout', "
        "'incidentctl.problems']"
    )
