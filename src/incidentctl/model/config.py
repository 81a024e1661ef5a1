"""The repository's configuration: one ``incidentctl.yaml`` at the root of the repository."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from incidentctl.model.base import Document, Strict

# A branch name as Git allows it, and without anything a command line could take for an
# option; what Git itself refuses is refused when the branch is used.
BranchName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.][A-Za-z0-9_./-]*$")]
Login = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\[\]-]*$")]


class JiraSettings(Strict):
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None


class GitHubSettings(Strict):
    repository: Annotated[str, StringConstraints(pattern=r"^[\w.-]+/[\w.-]+$")] | None = None


class DashboardSettings(Strict):
    # The dashboard names customers and shows their figures; a Pages site is public
    # unless the plan has private Pages, so publishing it is asked for, never assumed.
    publish: bool = False


class StatusPageSettings(Strict):
    # The status page carries only public fields (services, impact, customer updates);
    # still, a team says when it starts telling the world.
    publish: bool = False


class Config(Document):
    """Settings every command reads; ``INCIDENTCTL_*`` variables and flags override them.

    ``branch`` is the audited branch (default: the remote's HEAD branch, else ``main``,
    else ``master``); ``timezone`` the zone times are shown in (default UTC); ``bot_login``
    the login of the bot whose comments are the tool's own; ``dashboard.publish`` whether
    the dashboard workflow publishes the internal dashboard on GitHub Pages, and
    ``status_page.publish`` whether it publishes the public status page (default: no).
    """

    kind: Literal["Config"]
    branch: BranchName | None = None
    timezone: str | None = Field(default=None, examples=["Europe/Berlin"])
    bot_login: Login | None = None
    github: GitHubSettings | None = None
    jira: JiraSettings | None = None
    dashboard: DashboardSettings | None = None
    status_page: StatusPageSettings | None = None
