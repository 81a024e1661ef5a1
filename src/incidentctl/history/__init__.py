"""Git history replay: document versions and states per commit, cached."""
