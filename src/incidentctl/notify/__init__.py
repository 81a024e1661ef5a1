"""Notifications: incident events and SLA thresholds, routed to Slack, email, PagerDuty
and signed webhooks, each delivered once per channel (see ``ledger``)."""
