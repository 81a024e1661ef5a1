"""SLA arithmetic, pure: business calendars, clocks and the SLA engine (SPEC §4)."""
