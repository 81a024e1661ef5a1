"""``incidentctl audit``: the integrity of the audited branch's history, from history alone."""
