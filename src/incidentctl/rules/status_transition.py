"""``status-transition``: a status moves only as SPEC §2 allows, from the audited branch's version.

Legal: ``open → acknowledged | mitigated | waiting | resolved | cancelled``;
``acknowledged → mitigated | waiting | resolved | cancelled``; ``mitigated →
acknowledged | waiting | resolved``; ``waiting → acknowledged | mitigated | resolved``;
``resolved → closed | open`` (a reopen); ``closed`` and ``cancelled`` are final.

Passing: ``status: acknowledged`` on ``main``, ``status: resolved`` in the change.

Failing: ``status: resolved`` on ``main``, ``status: mitigated`` in the change
(reopen first: resolved → open).
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.model.incident import LEGAL_MOVES, is_legal_move
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule
from incidentctl.rules.history_base import branch_state


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, incident in context.workspace.target_models(Incident):
        found = branch_state(context, incident.id)
        if found is None:
            continue
        ref, previous = found
        if not is_legal_move(previous.status, incident.status):
            allowed = sorted(LEGAL_MOVES[previous.status])
            choices = ", ".join(allowed) if allowed else "nothing: the status is final"
            yield doc.problem(
                rule.id,
                f"status cannot move from {previous.status} (on {ref}) to {incident.status}: "
                f"from {previous.status} it may move to {choices}",
                ("status",),
            )


RULE = Rule("status-transition", "error", "legal status moves", check, needs_history=True)
