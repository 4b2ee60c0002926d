"""Emails about accounts. Called by tasks, after the change that asks for them has committed."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.mail import mail_send

from .models import Invitation, Membership, WebhookEndpoint
from .permissions import Role
from .webhooks.links import webhook_link


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


def webhook_disabled_send(*, endpoint_id: int) -> None:
    """Tell the trust's organisation admins that an endpoint was turned off because it kept
    failing. Sent once: the endpoint records it (the sweep retries one that did not go)."""
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .filter(pk=endpoint_id, disabled_at__isnull=False, disabled_notice_sent_at__isnull=True)
            .first()
        )
        if endpoint is None:
            return
        admins = sorted(
            Membership.objects.filter(
                organisation_id=endpoint.organisation_id,
                role=Role.ORG_ADMIN,
                suspended_at__isnull=True,
            ).values_list("user__email", flat=True)
        )
        if admins:
            context = {
                "endpoint": endpoint,
                "endpoint_url": webhook_link(endpoint.get_absolute_url()),
                "service_name": settings.SERVICE_NAME,
            }
            mail_send(
                subject=f"Webhook endpoint turned off: {endpoint} ({endpoint.organisation.name})",
                body=render_to_string("accounts/email/webhook_disabled.txt", context),
                to=admins,
            )
        endpoint.disabled_notice_sent_at = timezone.now()
        endpoint.save(update_fields=["disabled_notice_sent_at"])
