"""incidentctl: GitOps-style, declarative incident management."""

__version__ = "0.1.0"
