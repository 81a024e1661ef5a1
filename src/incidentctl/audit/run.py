"""Run every audit check over a replayed history and gather the findings."""

from __future__ import annotations

from datetime import datetime

from incidentctl.audit import checks, gitchecks
from incidentctl.audit.checkpoint import Recorded, compare
from incidentctl.audit.findings import AuditReport, Finding, Options, sort_findings
from incidentctl.audit.regrade import policy_regrades
from incidentctl.history.git import Git
from incidentctl.history.model import History


def run_audit(
    history: History,
    git: Git,
    as_of: datetime,
    options: Options,
    since: Recorded | None = None,
) -> AuditReport:
    """Every finding on ``history``; ``git`` answers what the replay does not keep
    (parents, signatures, ancestry), ``as_of`` is the instant regrades are judged at.
    """
    every = options.require_merges or options.require_signed
    touched = checks.touched_documents(
        history, None if every else {stamp.sha for stamp in history.clamped}
    )
    findings: list[Finding] = []
    if history.shallow:
        findings.append(
            Finding(
                "error",
                "shallow-clone",
                "the repository is a shallow clone: the commits before its boundary are "
                "missing, so this audit covers only part of the history; fetch all of it "
                "(git fetch --unshallow, or actions/checkout with fetch-depth: 0)",
            )
        )
    if since is not None:
        findings.extend(compare(git, history, since))
    findings.extend(checks.clamped_commits(history, touched))
    findings.extend(checks.closed_edits(history))
    findings.extend(checks.reused_ids(history))
    findings.extend(checks.removed_evidence(history))
    findings.extend(checks.illegal_transitions(history))
    if history.head is not None and every:
        commits = gitchecks.document_commits(history, touched)
        if options.require_merges:
            findings.extend(
                gitchecks.unmerged_changes(git, history.head, commits, touched, options.bot_login)
            )
        if options.require_signed:
            findings.extend(gitchecks.unsigned_commits(git, history.head, commits, touched))
    findings.extend(checks.declared_gaps(history, options.max_declared_gap))
    findings.extend(policy_regrades(history, as_of))
    findings.extend(checks.imported_records(history))
    return AuditReport(
        history.ref, history.head, as_of, history.commit_count, options, sort_findings(findings)
    )
