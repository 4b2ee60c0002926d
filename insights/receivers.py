"""What insights does when the apps below it announce a change (they never import insights)."""

from django.dispatch import receiver

from feedback.signals import feedback_changed
from portfolio.signals import portfolio_changed
from roadmaps.signals import roadmap_changed

from .services import summaries_schedule_refresh


@receiver(
    [portfolio_changed, feedback_changed, roadmap_changed],
    dispatch_uid="insights-refresh-summaries",
)
def refresh_summaries(sender, organisation_id: int, months=None, **kwargs) -> None:
    summaries_schedule_refresh(organisation_id, months)
