"""The static site: the public status page, customer views and the internal dashboard."""
