"""Summaries with a real worker: an import updates them; a worker killed mid-recompute changes
nothing, and the next run converges on the right numbers."""

import signal
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.scoping import scope
from config.celery import app
from core.dates import month_start
from insights.models import ProductMonthSummary
from insights.tasks import summaries_recompute_task
from portfolio.models import UsageRecord
from portfolio.services import usage_import_start

from ..factories import ProductFactory
from .conftest import raw_connection, wait_for, waiting_to_insert_into


def _mean(product, month):
    row = ProductMonthSummary.unscoped.filter(product=product, month=month).first()
    return row.mean_daily_active_users if row else None


@pytest.mark.django_db(transaction=True)
def test_import_then_kill_mid_recompute_then_converge(workers):
    app.conf.task_always_eager = False
    first = workers.start()
    product = ProductFactory(name="Meridian EPR")
    trust = product.organisation
    day1 = month_start(timezone.localdate() - timedelta(days=1))  # two days of one month, both past
    day2 = day1 + timedelta(days=1)
    month = day1
    upload = SimpleUploadedFile(
        "u.csv", f"date,product,active_users\n{day1},Meridian EPR,100\n".encode()
    )
    with scope(organisation=trust):
        usage_import_start(organisation=trust, uploaded_file=upload, user=None)  # small: inline
    assert wait_for(lambda: _mean(product, month) == Decimal("100.00")), (
        "import did not update the summary"
    )

    # New data arrives; hold the summary table so the worker's run stops half-way, then kill it.
    UsageRecord.unscoped.create(organisation=trust, product=product, date=day2, active_users=300)
    blocker = raw_connection()
    try:
        blocker.execute("LOCK TABLE insights_productmonthsummary IN EXCLUSIVE MODE")
        summaries_recompute_task.delay(trust.pk, None)
        assert wait_for(
            lambda: waiting_to_insert_into(ProductMonthSummary._meta.db_table), timeout=60
        ), "the worker never reached the upsert"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=20)
    finally:
        blocker.rollback()
        blocker.close()
    assert _mean(product, month) == Decimal("100.00")  # the killed run wrote nothing

    workers.start()
    summaries_recompute_task.delay(
        trust.pk, None
    )  # the next run (nightly beat, or the next import)
    assert wait_for(lambda: _mean(product, month) == Decimal("200.00"), timeout=60), (
        f"the next run did not converge: mean is {_mean(product, month)}"
    )
