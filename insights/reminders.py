"""Renewal reminders: email the product owner when a notice deadline is 180, 90 or 30 days away."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.scoping import scopes_disabled
from portfolio.models import Contract

from .models import RenewalReminder

THRESHOLDS = (180, 90, 30)


def renewal_reminders_send(today=None) -> int:
    """Send each (contract, threshold) once. Safe to run twice a day or to miss a day.

    Whole-database work: it reads every trust's contracts, so it runs with scoping disabled.
    """
    with scopes_disabled():
        return _send_due(today or timezone.localdate())


def _send_due(today) -> int:
    sent = 0
    contracts = Contract.objects.select_related(
        "product", "product__owner", "supplier", "organisation"
    )
    for contract in contracts.filter(end_date__gte=today):
        days_left = (contract.notice_deadline - today).days
        if days_left < 0:
            continue
        due = [t for t in THRESHOLDS if days_left <= t]
        if not due:
            continue
        threshold = min(due)  # the tightest threshold reached; earlier ones are not re-sent late
        owner = contract.product.owner
        if owner is None:
            continue
        try:
            with transaction.atomic():
                RenewalReminder.objects.create(
                    organisation_id=contract.organisation_id,
                    contract=contract,
                    threshold_days=threshold,
                    notice_deadline=contract.notice_deadline,
                )
                send_mail(
                    subject=f"Notice deadline in {days_left} days: {contract.product.name} ({contract.supplier})",
                    message=render_to_string(
                        "insights/email/renewal_reminder.txt",
                        {
                            "contract": contract,
                            "days_left": days_left,
                            "threshold": threshold,
                            "service_name": settings.SERVICE_NAME,
                        },
                    ),
                    from_email=None,
                    recipient_list=[owner.email],
                )
        except IntegrityError:
            continue  # already sent for this threshold
        sent += 1
    return sent
