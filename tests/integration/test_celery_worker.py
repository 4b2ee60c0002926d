"""A real Celery worker, on real Redis and PostgreSQL, runs a task the app enqueued on commit."""

import quopri
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.permissions import Role
from accounts.scoping import scope
from accounts.services import invitation_create
from config.celery import app
from core.models import OutboxMessage
from portfolio.models import ImportStatus, UsageImport, UsageRecord
from portfolio.services import INLINE_IMPORT_BYTES, usage_import_start

from ..factories import MembershipFactory, ProductFactory
from .conftest import wait_for


@pytest.mark.django_db(transaction=True)
def test_invitation_email_is_sent_by_a_real_worker(worker, settings):
    app.conf.task_always_eager = False
    admin = MembershipFactory(role=Role.ORG_ADMIN)
    with scope(organisation=admin.organisation):
        invitation = invitation_create(
            organisation=admin.organisation,
            email="worker-test@example.org",
            role=Role.VIEWER,
            invited_by=admin.user,
            base_url="https://portfolio.example.org/",
        )
    assert wait_for(lambda: worker.exists() and any(worker.iterdir())), "worker sent no email"
    raw = "".join(path.read_text() for path in worker.iterdir())
    sent = quopri.decodestring(raw.encode()).decode()
    assert "worker-test@example.org" in sent
    assert f"https://portfolio.example.org/invitations/{invitation.token}/" in sent
    # The worker marked the outbox row done, so the relay will not send it again.
    message = OutboxMessage.objects.get(task="accounts.tasks.invitation_send_task")
    assert wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).done_at is not None)


@pytest.mark.django_db(transaction=True)
def test_a_large_usage_import_is_processed_by_a_real_worker(worker):
    app.conf.task_always_eager = False
    product = ProductFactory(name="Meridian EPR")
    lines = ["date,product,active_users,site"]
    while sum(len(line) + 1 for line in lines) <= INLINE_IMPORT_BYTES * 2:
        n = len(lines)
        lines.append(f"{date(2024, 1, 1) + timedelta(days=n // 30)},Meridian EPR,{n},Site {n % 30}")
    upload = SimpleUploadedFile("big.csv", ("\n".join(lines) + "\n").encode())
    with scope(organisation=product.organisation):
        record = usage_import_start(
            organisation=product.organisation, uploaded_file=upload, user=None
        )
    assert record.status == ImportStatus.PENDING

    def finished():
        record.refresh_from_db()
        return record.status in {ImportStatus.SUCCEEDED, ImportStatus.FAILED}

    assert wait_for(finished), f"import still {record.status}"
    assert record.status == ImportStatus.SUCCEEDED, record.errors
    with scope(organisation=product.organisation):
        assert UsageRecord.objects.count() == len(lines) - 1
    assert UsageImport.unscoped.get(pk=record.pk).rows_imported == len(lines) - 1
