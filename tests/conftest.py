"""Fixtures shared by the tests."""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from incidentctl.cli.main import main

REPO_ROOT = Path(__file__).resolve().parent.parent
# The environment's overrides of incidentctl.yaml: a test sets the ones it means.
CONFIG_VARIABLES = (
    "INCIDENTCTL_BRANCH",
    "INCIDENTCTL_TIMEZONE",
    "INCIDENTCTL_BOT_LOGIN",
    "INCIDENTCTL_GITHUB_REPOSITORY",
    "INCIDENTCTL_JIRA_URL",
)


@dataclass(frozen=True)
class CliResult:
    """What one run of the command line left behind."""

    exit_code: int
    stdout: str
    stderr: str


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run ``incidentctl ARGS`` in-process through ``main()``, as the console script does.

    ``run_cli(args, cwd=None, *, env=None, input=None) -> CliResult``: ``cwd`` is the
    working folder for the run (default: unchanged); ``env`` sets environment
    variables (``GITHUB_ACTIONS``, ``INCIDENTCTL_DEBUG``, ``INCIDENTCTL_VERBOSE`` and the
    ``CONFIG_VARIABLES``
    are unset unless given);
    ``input`` is what the command reads on stdin. The exit code is the one ``main()``
    passes to ``sys.exit``, so it follows the CLI's mapping of errors to exit codes.
    """

    def run(
        args: Sequence[str],
        cwd: Path | str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
    ) -> CliResult:
        with monkeypatch.context() as patch:
            for name in (
                "GITHUB_ACTIONS",
                "INCIDENTCTL_DEBUG",
                "INCIDENTCTL_VERBOSE",
                *CONFIG_VARIABLES,
            ):
                patch.delenv(name, raising=False)
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            if cwd is not None:
                patch.chdir(cwd)
            patch.setattr(sys, "stdin", io.StringIO(input or ""))
            out, err = io.StringIO(), io.StringIO()
            code: int | str | None = 0
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main([str(arg) for arg in args])
                except SystemExit as done:
                    code = done.code
        if not isinstance(code, int):
            code = 0 if code is None else 1
        return CliResult(code, out.getvalue(), err.getvalue())

    return run
