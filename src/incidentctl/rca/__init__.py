"""RCA documents: finding them, scaffolding one from an incident's history, rendering it."""
