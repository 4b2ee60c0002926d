"""Emails about accounts. Called by tasks, after the change that asks for them has committed."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from core.mail import mail_send

from .models import Invitation


def invitation_send(*, invitation_id: int, base_url: str) -> None:
    """Email the accept link, unless the invitation was accepted or revoked meanwhile."""
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )
    if invitation is None:
        return
    accept_url = base_url.rstrip("/") + reverse(
        "accounts:invitation_accept", args=[invitation.token]
    )
    context = {
        "invitation": invitation,
        "accept_url": accept_url,
        "service_name": settings.SERVICE_NAME,
    }
    mail_send(
        subject=f"You have been invited to {invitation.organisation.name} on {settings.SERVICE_NAME}",
        body=render_to_string("accounts/email/invitation.txt", context),
        to=[invitation.email],
    )
