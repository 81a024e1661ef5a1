"""``closed-immutable``: a closed or cancelled incident is not edited any more.

The audit trail of a finished incident must stay as it was graded. Open a new
incident, or reference it from one, instead. The file is compared byte for byte
(line endings aside) with its latest version on the audited branch.

Passing: a closed incident whose file is identical to the audited branch's version.

Failing: a change to the summary of an incident that is ``closed`` on ``main``.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.history.blobid import blob_ids
from incidentctl.history.model import History
from incidentctl.model import Incident
from incidentctl.model.incident import FINAL_STATUSES
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule
from incidentctl.rules.history_base import branch_state


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    history: History = context.history
    for doc, incident in context.workspace.target_models(Incident):
        found = branch_state(context, incident.id)
        if found is None:
            continue
        ref, previous = found
        if previous.status not in FINAL_STATUSES:
            continue
        last = history.incidents[incident.id].versions[-1].blob
        if last not in blob_ids(doc.text):
            yield doc.problem(
                rule.id,
                f"{incident.id} is {previous.status} on {ref} and may not change: "
                "record follow-ups in a new incident",
                ("status",),
            )


RULE = Rule(
    "closed-immutable", "error", "closed incidents are immutable", check, needs_history=True
)
