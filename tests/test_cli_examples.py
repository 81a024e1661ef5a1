"""Every command's ``--help`` has examples, and every example is a command line that
click parses: options and arguments that exist, values their types accept (ids of this
repository's incidents, severities, choices, times), for the command whose help shows it.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from conftest import REPO_ROOT
from incidentctl.cli.main import cli

SHELL_OPERATORS = {">", ">>", "|", "&&", "||", ";"}


def command_tree(
    command: click.Command, path: tuple[str, ...], ctx: click.Context
) -> Iterator[tuple[tuple[str, ...], click.Command, click.Context]]:
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, (path, name)
            yield from command_tree(sub, (*path, name), click.Context(sub, ctx, info_name=name))


COMMANDS = list(command_tree(cli, (), click.Context(cli, info_name="incidentctl")))


def examples(help_text: str) -> list[str]:
    """The lines of the help's Examples section, continuation lines (``\\``) joined."""
    found = re.search(r"^ *Examples:\n", help_text, re.MULTILINE)
    assert found, "no Examples section"
    rest = help_text[found.end() :]
    lines: list[str] = []
    pending = ""
    for raw in rest.splitlines():
        if not raw.strip():
            break
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        lines.append(line)
    assert not pending, "an example ends in a continuation"
    return lines


def invocation(example: str) -> list[str]:
    """The arguments incidentctl gets: ``$(…)`` unwrapped, variables set before it and
    shell comments, redirections and pipes left out."""
    inner = re.search(r"\$\((incidentctl [^)]*)\)", example)
    lexer = shlex.shlex(inner.group(1) if inner else example, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    words: list[str] = []
    for word in lexer:
        if word in SHELL_OPERATORS:
            break
        words.append(word)
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        words.pop(0)
    assert words[:1] == ["incidentctl"], f"{example!r} does not run incidentctl"
    return words[1:]


def parse(args: list[str]) -> tuple[str, ...]:
    """Parse ``args`` as ``incidentctl`` does (no command runs); the command path reached."""
    ctx = cli.make_context("incidentctl", list(args), obj=REPO_ROOT)
    path: tuple[str, ...] = ()
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, rest = command.resolve_command(ctx, rest)
        assert name is not None and sub is not None
        path = (*path, name)
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    return path


@pytest.mark.parametrize(
    ("path", "command", "ctx"), COMMANDS, ids=[" ".join(p) or "incidentctl" for p, _, _ in COMMANDS]
)
def test_every_help_has_examples(
    path: tuple[str, ...], command: click.Command, ctx: click.Context
) -> None:
    shown = examples(command.get_help(ctx))
    assert shown, "the Examples section is empty"


@pytest.mark.parametrize(
    ("path", "command", "ctx"), COMMANDS, ids=[" ".join(p) or "incidentctl" for p, _, _ in COMMANDS]
)
def test_every_example_parses_as_the_command_it_documents(
    path: tuple[str, ...],
    command: click.Command,
    ctx: click.Context,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO_ROOT)  # the example incidents are what the ids name
    for example in examples(command.get_help(ctx)):
        args = invocation(example)
        try:
            reached = parse(args)
        except click.BadParameter as error:
            # a file the example names need not exist here
            if not (isinstance(error.param and error.param.type, click.Path)
                    and "does not exist" in error.message):  # fmt: skip
                raise AssertionError(f"{example!r}: {error.format_message()}") from error
            continue
        except click.ClickException as error:
            raise AssertionError(f"{example!r}: {error.format_message()}") from error
        assert reached[: len(path)] == path, f"{example!r} is not an example of {path}"
        assert len(reached) > len(path) or not isinstance(command, click.Group) or not path


def test_a_broken_example_is_caught() -> None:
    with pytest.raises(click.NoSuchOption):
        parse(invocation("incidentctl ack 7 --comander @alice  # misspelt"))
    with pytest.raises(click.BadParameter, match="SEV5"):
        parse(invocation("incidentctl severity 7 SEV5 --reason x"))
    with pytest.raises(click.MissingParameter):
        parse(invocation("incidentctl resolve 7 --commit"))
    assert parse(invocation('eval "$(incidentctl completion zsh)"')) == ("completion",)
    assert parse(invocation("X=1 incidentctl rca render 7 --format html > r.html")) == (
        "rca",
        "render",
    )
    assert examples("a\n\nExamples:\n  incidentctl a \\\n    --b\n  incidentctl c\n\nx") == [
        "incidentctl a --b",
        "incidentctl c",
    ]


def test_the_readme_points_at_the_examples() -> None:
    readme = (Path(REPO_ROOT) / "README.md").read_text(encoding="utf-8")
    assert "Every command's `--help` ends with examples." in readme
