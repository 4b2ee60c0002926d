from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Invitation


@shared_task(autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int, base_url: str) -> None:
    invitation = (
        Invitation.unscoped.select_related("organisation", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:  # accepted or revoked meanwhile: nothing to send
        return
    accept_url = base_url.rstrip("/") + reverse("invitation_accept", args=[invitation.token])
    context = {
        "invitation": invitation,
        "accept_url": accept_url,
        "service_name": settings.SERVICE_NAME,
    }
    send_mail(
        subject=f"You have been invited to {invitation.organisation.name} on {settings.SERVICE_NAME}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
