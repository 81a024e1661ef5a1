"""The GitHub Actions workflows, the composite action and the pre-commit hook keep the policy.

SPEC §6: ``permissions: {}`` at the top with per-job grants, every action pinned by
commit SHA, nothing from the event interpolated into a script, concurrency groups;
and every job bounded in time. zizmor and actionlint run in ``.ci/run``; these tests
say what this project asks beyond them, and what each workflow must do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses: (\S+)\s+# v\d+\.\d+\.\d+\s*$")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def steps(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in document.get("jobs", {}).values():
        yield from job.get("steps", [])
    yield from document.get("runs", {}).get("steps", [])


def by_name(name: str) -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / name)


def uses(document: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(document) if s.get("uses", "").startswith(f"{action}@")]


def test_the_workflows_are_there() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {"ci.yml", "incidents-pr.yml", "incidents-comment.yml", "incidents-watch.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_permission_at_the_top_and_a_grant_per_job(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"job {name} grants nothing explicitly"
        assert "write-all" not in str(job["permissions"])


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version(path: Path) -> None:
    document = load(path)
    found = [s["uses"] for s in steps(document) if "uses" in s]
    assert found, "no action used: nothing was checked"
    for action in found:
        assert PINNED.match(action), f"{action}: pin it to a full commit SHA"
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    for line in (line for line in lines if "uses:" in line and not line.startswith("#")):
        assert VERSION_COMMENT.search(line), f"{line!r}: add the release as `# vX.Y.Z`"


def test_one_release_of_each_action_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for path in [*WORKFLOWS, ACTION]:
        for step in steps(load(path)):
            if "uses" in step:
                action, _, sha = step["uses"].partition("@")
                pins.setdefault(action, set()).add(sha)
    assert {action for action, shas in pins.items() if len(shas) > 1} == set()


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_no_expression_inside_a_script(path: Path) -> None:
    """Values reach scripts through ``env:``; an expression in ``run:`` is injection-prone."""
    scripts = [s["run"] for s in steps(load(path)) if "run" in s]
    assert scripts
    for script in scripts:
        assert "${{" not in script, f"pass it through env: {script!r}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_job_has_a_timeout_and_the_workflow_a_concurrency_group(path: Path) -> None:
    workflow = load(path)
    for name, job in workflow["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"job {name} has no timeout-minutes"
        assert job.get("concurrency") or workflow.get("concurrency"), f"job {name}: concurrency"
    group = workflow.get("concurrency", {}).get("group", "")
    assert "${{ github.workflow }}" in group


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path: Path) -> None:
    for step in uses(load(path), "actions/checkout"):
        assert step["with"]["persist-credentials"] is False


def test_pull_requests_are_checked_with_a_read_only_token() -> None:
    workflow = by_name("incidents-pr.yml")
    trigger = workflow["on"]["pull_request"]
    # the catalogue and the notification policies are validated too: a renamed service
    # or a route to a missing channel is caught before it merges
    assert set(trigger["paths"]) == {
        "incidents/**",
        "policies/**",
        "services/**",
        "customers/**",
        "notifications/**",
        "incidentctl.yaml",
    }
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    [checkout] = uses(workflow, "actions/checkout")
    assert checkout["with"]["fetch-depth"] == 0  # origin/main must be there
    scripts = "\n".join(s.get("run", "") for s in job["steps"])
    assert "incidentctl validate --format github" in scripts
    assert "sla --diff origin/main...HEAD" in scripts
    assert '--artifact "$RUNNER_TEMP/sla-comment"' in scripts
    assert '--pr-number "$PR_NUMBER"' in scripts
    assert '>> "$GITHUB_STEP_SUMMARY"' in scripts
    [upload] = uses(workflow, "actions/upload-artifact")
    assert upload["with"]["name"] == "sla-comment"
    assert upload["with"]["path"].startswith("${{ runner.temp }}/sla-comment")


def test_the_comment_is_posted_without_running_the_pull_requests_code() -> None:
    workflow = by_name("incidents-comment.yml")
    trigger = workflow["on"]["workflow_run"]
    assert trigger["workflows"] == [by_name("incidents-pr.yml")["name"]]
    assert trigger["types"] == ["completed"]
    [job] = workflow["jobs"].values()
    assert job["permissions"]["pull-requests"] == "write"
    assert set(job["permissions"]) <= {"actions", "contents", "pull-requests", "issues"}
    for checkout in uses(workflow, "actions/checkout"):
        assert "ref" not in checkout.get("with", {}), "check out the default branch only"
        assert "repository" not in checkout.get("with", {})
    [download] = uses(workflow, "actions/download-artifact")
    assert download["with"]["name"] == "sla-comment"
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    assert download["with"]["github-token"] == "${{ github.token }}"
    order = [s.get("uses", s.get("run", "")) for s in job["steps"]]
    installed = next(i for i, s in enumerate(order) if "pip install" in s)
    downloaded = next(i for i, s in enumerate(order) if s.startswith("actions/download"))
    assert installed < downloaded, "install before the untrusted artifact is on disk"
    assert any(
        s.startswith('incidentctl github comment --artifact "$RUNNER_TEMP/sla-comment"')
        for s in order
    )


def test_the_watch_runs_every_ten_minutes_one_at_a_time() -> None:
    workflow = by_name("incidents-watch.yml")
    assert workflow["on"]["schedule"] == [{"cron": "*/10 * * * *"}]
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    [job] = workflow["jobs"].values()
    # contents: write pushes the delivery ledger's ref, which the watch shares with notify
    assert job["permissions"] == {"contents": "write", "issues": "write"}
    assert any(
        "incidentctl github watch --ref main --remote origin" in s.get("run", "")
        for s in job["steps"]
    )


def test_the_composite_action_installs_itself_and_passes_inputs_through_env() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"args", "python-version"} <= set(action["inputs"])
    scripts = [s for s in action["runs"]["steps"] if "run" in s]
    install = next(s for s in scripts if "pip install" in s["run"])
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$ACTION_PATH"' in install["run"]
    run = next(s for s in scripts if "INCIDENTCTL_ARGS" in s["run"])
    assert run["env"]["INCIDENTCTL_ARGS"] == "${{ inputs.args }}"
    assert "shlex.split" in run["run"]


def test_the_pre_commit_hook() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "incidentctl-validate"
    assert hook["entry"] == "incidentctl validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    files = re.compile(hook["files"])
    for path in ("incidents/2026/INC-2026-0042.yaml", "policies/sla/gold.yml"):
        assert files.search(path), path
    for path in ("src/incidentctl/cli/main.py", "docs/incidents/x.yaml", "incidents/notes.md"):
        assert not files.search(path), path


@pytest.mark.parametrize(
    "name",
    ["incidents-pr.yml", "incidents-watch.yml", "incidents-dashboard.yml", "incidents-defects.yml"],
)
def test_jobs_that_replay_history_keep_the_cache_of_their_ref_or_main(name: str) -> None:
    """Keyed by ref and head; restored from the same ref, else main, never elsewhere: a
    pull request's cache can reach only that pull request's runs (docs/decisions.md)."""
    document = by_name(name)
    [cache] = uses(document, "actions/cache")
    settings = cache["with"]
    assert settings["path"] == ".git/incidentctl"
    prefix = "incidentctl-replay-${{ runner.os }}-"
    assert settings["key"] == prefix + "${{ github.ref }}-${{ github.sha }}"
    assert settings["restore-keys"].splitlines() == [
        prefix + "${{ github.ref }}-",
        prefix + "refs/heads/main-",
    ]
    order = [s.get("uses", s.get("run", "")) for s in steps(document)]
    first_run = next(i for i, s in enumerate(order) if "incidentctl " in s)
    assert order.index(cache["uses"]) < first_run  # restored before any replay
    for job in document["jobs"].values():
        if any("incidentctl " in s.get("run", "") for s in job.get("steps", [])):
            assert job["env"]["INCIDENTCTL_VERBOSE"] == "1"  # the log shows what was replayed


def secrets_read(job: dict[str, Any]) -> set[str]:
    return set(re.findall(r"secrets\.(\w+)", yaml.safe_dump(job)))


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_are_read_only_inside_an_environment(path: Path) -> None:
    for name, job in load(path)["jobs"].items():
        if secrets_read(job):
            environment = job.get("environment")
            assert environment, f"job {name} reads secrets outside a deployment environment"


def test_the_tracker_secrets_live_in_an_environment_for_main() -> None:
    workflow = by_name("incidents-defects.yml")
    [job] = workflow["jobs"].values()
    assert secrets_read(job) == {"JIRA_URL", "JIRA_USER", "JIRA_API_TOKEN"}
    assert job["environment"] == "incident-trackers"
    assert workflow["on"]["push"]["branches"] == ["main"]


def test_the_dashboard_is_published_only_when_asked_for() -> None:
    workflow = by_name("incidents-dashboard.yml")
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    asked = "steps.asked.outputs.publish == 'true'"
    gate = next(s for s in build["steps"] if s.get("id") == "asked")
    assert "config.dashboard.publish" in gate["run"]
    after = build["steps"][build["steps"].index(gate) + 1 :]
    assert after and all(step["if"] == asked for step in after)
    assert build["outputs"]["publish"] == "${{ steps.asked.outputs.publish }}"
    assert deploy["if"] == "needs.build.outputs.publish == 'true'"
    text = (ROOT / ".github" / "workflows" / "incidents-dashboard.yml").read_text("utf-8")
    assert "public" in text and "customer" in text  # the header says what it exposes


def test_the_dashboard_gate_reads_the_configuration(tmp_path: Path) -> None:
    """The gate's script, run as the workflow runs it, on a repository that asks or not."""
    import subprocess
    import sys

    gate = next(s for s in by_name("incidents-dashboard.yml")["jobs"]["build"]["steps"]
                if s.get("id") == "asked")  # fmt: skip
    script = gate["run"].split("<<'PY'\n", 1)[1].rsplit("PY", 1)[0]
    head = "apiVersion: incidentctl/v1\nkind: Config\n"
    cases = (
        (head, "status_page=false\ndashboard=false\npublish=false\n"),
        (
            head + "dashboard:\n  publish: true\n",
            "status_page=false\ndashboard=true\npublish=true\n",
        ),
        (
            head + "status_page:\n  publish: true\n",
            "status_page=true\ndashboard=false\npublish=true\n",
        ),
    )
    for text, expected in cases:
        (tmp_path / "incidentctl.yaml").write_text(text, encoding="utf-8")
        done = subprocess.run([sys.executable, "-"], input=script, cwd=tmp_path,
                              capture_output=True, text=True, check=True)  # fmt: skip
        assert done.stdout == expected


def test_the_status_page_is_built_public_and_on_every_push_to_main() -> None:
    workflow = by_name("incidents-dashboard.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    [build] = [s for s in steps(workflow) if "site build" in s.get("run", "")]
    script = build["run"]
    # the status page is built with --public, alone in the folder Pages gets, only when
    # status_page.publish asks for it; the internal dashboard only under dashboard/
    assert 'incidentctl site build --public --ref main --out "$site"' in script
    assert script.count("site build") == 1
    assert build["env"]["STATUS_PAGE"] == "${{ steps.asked.outputs.status_page }}"
    assert '[ "$STATUS_PAGE" = true ]' in script
    reports = [line for line in script.splitlines() if "incidentctl report" in line]
    assert reports and all('--out "$site/dashboard/' in line for line in reports)
    assert '[ "$DASHBOARD" = true ]' in script
    [upload] = uses(workflow, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "${{ runner.temp }}/site"


def _readme_rows() -> dict[str, str]:
    """The rows of the README's table of what each workflow needs, by workflow file."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("**What each workflow needs.**") :]
    return {
        match.group(1): line
        for line in table.splitlines()
        if (match := re.match(r"\| `(incidents-[\w-]+\.yml)` \|", line))
    }


@pytest.mark.parametrize(
    "path", [p for p in WORKFLOWS if p.name.startswith("incidents-")], ids=lambda p: p.name
)
def test_the_readme_tells_each_workflows_permissions_and_environment(path: Path) -> None:
    row = _readme_rows().get(path.name)
    assert row is not None, f"README: no row for {path.name} in 'What each workflow needs'"
    for job in load(path)["jobs"].values():
        for scope, level in job["permissions"].items():
            assert f"`{scope}: {level}`" in row, (path.name, scope, level)
        environment = job.get("environment")
        name = environment.get("name") if isinstance(environment, dict) else environment
        if name:
            assert f"environment `{name}`" in row, (path.name, name)
