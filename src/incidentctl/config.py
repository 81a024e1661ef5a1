"""The settings every command reads: ``incidentctl.yaml``, then ``INCIDENTCTL_*``, then flags.

The file is a document of its own kind (``kind: Config``) at the root of the repository,
validated like every other document. An environment variable overrides the file (an
empty one is ignored, as an unset one); a command's flag overrides both, which the
commands do by asking for a setting only when the flag is absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError

from incidentctl.model import CONFIG_FILE
from incidentctl.model.config import BranchName, Config, Login
from incidentctl.problems import UsageError

DEFAULT_BOT_LOGIN = "github-actions[bot]"
# setting -> the environment variable that overrides it
ENVIRONMENT = {
    "branch": "INCIDENTCTL_BRANCH",
    "timezone": "INCIDENTCTL_TIMEZONE",
    "bot_login": "INCIDENTCTL_BOT_LOGIN",
    "github_repository": "INCIDENTCTL_GITHUB_REPOSITORY",
    "jira_url": "INCIDENTCTL_JIRA_URL",
}
_CHECKS: dict[str, TypeAdapter[str]] = {
    "branch": TypeAdapter(BranchName),
    "bot_login": TypeAdapter(Login),
}


@dataclass(frozen=True, slots=True)
class Settings:
    """What the configuration says; None where it says nothing."""

    branch: str | None = None
    timezone: str | None = None
    bot_login: str | None = None
    github_repository: str | None = None
    jira_url: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The zone times are shown in (UTC unless configured)."""
        return ZoneInfo(self.timezone or "UTC")


def read_config(root: Path) -> tuple[Config | None, str]:
    """The configuration file's model (None if there is no file) and its path as shown.

    A file that is not a valid ``Config`` is a ``UsageError`` with its line and column.
    """
    path = root / CONFIG_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, CONFIG_FILE
    except OSError as error:
        raise UsageError(f"{CONFIG_FILE}: cannot read it: {error.strerror or error}") from None
    from incidentctl.load.document import parse_document  # here: most repositories have none

    doc = parse_document(CONFIG_FILE, raw)
    if doc.problems:
        raise UsageError(
            "the configuration is not valid, fix it first:\n"
            + "\n".join(p.render() for p in doc.problems)
        )
    assert isinstance(doc.model, Config)
    if doc.model.timezone is not None and not _is_zone(doc.model.timezone):
        line, col = doc.locate(("timezone",))
        raise UsageError(
            f"{CONFIG_FILE}:{line}:{col}: timezone {doc.model.timezone!r} is not an IANA "
            "time zone such as Europe/Berlin or UTC"
        )
    return doc.model, CONFIG_FILE


def load_settings(root: Path, environ: Mapping[str, str]) -> Settings:
    """The file's settings with the environment's overrides applied."""
    config, _ = read_config(root)
    values: dict[str, str | None] = {
        "branch": config.branch if config else None,
        "timezone": config.timezone if config else None,
        "bot_login": config.bot_login if config else None,
        "github_repository": config.github.repository if config and config.github else None,
        "jira_url": config.jira.url if config and config.jira else None,
    }
    for setting, variable in ENVIRONMENT.items():
        value = environ.get(variable, "").strip()
        if not value:
            continue  # an empty variable is ignored, as an unset one
        check = _CHECKS.get(setting)
        try:
            if check is not None:
                check.validate_python(value)
        except ValidationError:
            raise UsageError(f"{variable}={value!r} is not a valid {setting}") from None
        if setting == "timezone" and not _is_zone(value):
            raise UsageError(
                f"{variable}={value!r} is not an IANA time zone such as Europe/Berlin or UTC"
            )
        values[setting] = value
    return Settings(**values)


def audited_branch(root: Path, settings: Settings) -> str:
    """The configured branch, else the remote's HEAD branch, else main, else master."""
    from incidentctl.history.git import Git

    if settings.branch:
        return settings.branch
    if not (root / ".git").exists():
        return "main"
    return Git(root).default_branch() or "main"


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
