from celery import shared_task
from django.core.management import call_command

from .notifications import invitation_send
from .ods import ods_refresh
from .tenancy import TenantTask
from .webhooks.delivery import webhook_deliveries_sweep, webhook_delivery_attempt


@shared_task(
    base=TenantTask,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=5,
)
def invitation_send_task(organisation, invitation_id: int, base_url: str) -> None:
    invitation_send(invitation_id=invitation_id, base_url=base_url)


@shared_task
def sessions_clear_task() -> None:
    """Nightly (beat): delete expired sessions, as Django's ``clearsessions`` command does. Sessions
    live in the database only, so without this the table grows by every sign-in for ever."""
    call_command("clearsessions")


@shared_task
def ods_refresh_task() -> None:
    """Monthly (beat): reload ICBs and trusts from the ODS extracts the settings name
    (ODS_ICBS_FILE, ODS_TRUSTS_FILE, ODS_SUCCESSORS_FILE); nothing, logged, when none is set."""
    ods_refresh()


@shared_task(base=TenantTask, acks_late=True)
def webhook_deliver_task(organisation, delivery_id: int) -> str | None:
    """Send one webhook delivery if it is due (a second run finds it claimed or sent)."""
    return webhook_delivery_attempt(delivery_id)


@shared_task
def webhook_deliveries_sweep_task(older_than_seconds: int = 10) -> dict:
    """Every 15 s (beat): send the webhook deliveries that are due, across every trust."""
    return webhook_deliveries_sweep(
        enqueue=webhook_deliver_task.delay, older_than_seconds=older_than_seconds
    )
