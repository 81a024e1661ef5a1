"""The GitHub Actions glue: the sticky pull-request comment and the scheduled SLA watch.

Both are pure: they read inputs and plan what to post; ``incidentctl.cli.github``
carries the plan out through ``incidentctl.trackers.github``.
"""
