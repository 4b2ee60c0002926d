from celery import shared_task
from django.core.management import call_command

from .notifications import invitation_send
from .ods import ods_refresh
from .tenancy import TenantTask


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
