"""django-q2 tasks of monitoring: thin, they call the evaluation."""

from monitoring.incidents import incidents_evaluate


def health_evaluate_task() -> str:
    """Open and resolve incidents from a fresh health report, and tell the team (once each)."""
    return "; ".join(incidents_evaluate().lines())
