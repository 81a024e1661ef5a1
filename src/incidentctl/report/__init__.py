"""Renderers: problems, SLA boards and reports, as text the CLI prints."""
