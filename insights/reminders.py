"""Renewal reminders: email the product owner when a notice deadline is 180, 90 or 30 days away."""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.scoping import scopes_disabled
from core.batch import BatchReport, run_isolated
from core.mail import mail_send
from portfolio.models import Contract

from .models import RenewalReminder
from .webhooks import contract_notice_due_emit

THRESHOLDS = (180, 90, 30)


def renewal_reminders_send(today=None) -> BatchReport:
    """Send each (contract, threshold) once. Safe to run twice a day or to miss a day.

    Whole-database work: it reads every trust's contracts, so it runs with scoping disabled. A
    contract whose reminder fails is logged and left for tomorrow; the others still go out.
    """
    with scopes_disabled():
        return _send_due(today or timezone.localdate())


def _send_due(today) -> BatchReport:
    contracts = Contract.objects.select_related(
        "product", "product__owner", "supplier", "organisation"
    ).filter(end_date__gte=today)
    return run_isolated(
        "renewal reminders",
        contracts.iterator(),
        lambda contract: _remind(contract, today),
        key=lambda contract: f"contract {contract.pk}",
    )


def _remind(contract: Contract, today) -> bool:
    """Send the reminder due for ``contract`` today, if any. False when nothing was due."""
    days_left = (contract.notice_deadline - today).days
    if days_left < 0:
        return False
    due = [t for t in THRESHOLDS if days_left <= t]
    owner = contract.product.owner
    if not due or owner is None:
        return False
    threshold = min(due)  # the tightest threshold reached; earlier ones are not re-sent late
    try:
        with transaction.atomic():
            RenewalReminder.objects.create(
                organisation_id=contract.organisation_id,
                contract=contract,
                threshold_days=threshold,
                notice_deadline=contract.notice_deadline,
            )
            mail_send(
                subject=f"Notice deadline in {days_left} days: {contract.product.name} ({contract.supplier})",
                body=render_to_string(
                    "insights/email/renewal_reminder.txt",
                    {
                        "contract": contract,
                        "days_left": days_left,
                        "threshold": threshold,
                        "service_name": settings.SERVICE_NAME,
                    },
                ),
                to=[owner.email],
            )
            contract_notice_due_emit(contract, days_left=days_left, threshold=threshold)
    except IntegrityError:
        return False  # already sent for this threshold
    return True
