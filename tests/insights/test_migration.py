"""The summary models moved from portfolio to insights: a database holding summaries under the
previous schema migrates forward with every row, constraint and sequence intact."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_THE_MOVE = [("portfolio", "0003_summaries"), ("insights", None)]
MOVED_TABLES = {
    "portfolio_productmonthsummary": "insights_productmonthsummary",
    "portfolio_trustmonthsummary": "insights_trustmonthsummary",
    "portfolio_renewalreminder": "insights_renewalreminder",
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _old_world(apps):
    """Summaries as the previous schema (portfolio 0003) stored them."""
    ics = apps.get_model("accounts", "IntegratedCareSystem").objects.create(
        ods_code="QMV", name="Moving ICS", region="Test"
    )
    trust = apps.get_model("accounts", "Organisation").objects.create(
        ods_code="RMV1", name="Moving Trust", ics=ics
    )
    supplier = apps.get_model("portfolio", "Supplier").objects.create(name="Moving Supplier")
    product = apps.get_model("portfolio", "Product").objects.create(
        organisation=trust, name="Moving EPR", capability="epr", supplier=supplier
    )
    contract = apps.get_model("portfolio", "Contract").objects.create(
        organisation=trust,
        product=product,
        supplier=supplier,
        start_date=date(2025, 1, 1),
        end_date=date(2027, 1, 1),
        annual_cost=Decimal("1200.00"),
        licence_model="enterprise",
    )
    now = timezone.now()
    apps.get_model("portfolio", "ProductMonthSummary").objects.create(
        organisation=trust,
        product=product,
        month=date(2026, 1, 1),
        capability="epr",
        supplier=supplier,
        lifecycle_stage="live",
        mean_daily_active_users=Decimal("45.00"),
        feedback_by_category={"praise": 2},
        computed_at=now,
    )
    apps.get_model("portfolio", "TrustMonthSummary").objects.create(
        organisation=trust, month=date(2026, 1, 1), annual_spend=Decimal("1200.00"), computed_at=now
    )
    apps.get_model("portfolio", "RenewalReminder").objects.create(
        organisation=trust,
        contract=contract,
        threshold_days=90,
        notice_deadline=date(2026, 10, 3),
    )
    return trust, product, contract


@pytest.mark.django_db(transaction=True)
def test_summaries_written_before_the_move_are_read_by_insights_after_it(as_owner):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old_apps = _migrate(BEFORE_THE_MOVE)
        tables = set(connection.introspection.table_names())
        assert set(MOVED_TABLES) <= tables and not set(MOVED_TABLES.values()) & tables
        trust, product, contract = _old_world(old_apps)

        new_apps = _migrate(latest)

        tables = set(connection.introspection.table_names())
        assert set(MOVED_TABLES.values()) <= tables and not set(MOVED_TABLES) & tables
        product_summary = new_apps.get_model("insights", "ProductMonthSummary").objects.get()
        assert (product_summary.product_id, product_summary.month) == (product.pk, date(2026, 1, 1))
        assert product_summary.mean_daily_active_users == Decimal("45.00")
        assert product_summary.feedback_by_category == {"praise": 2}
        trust_summary = new_apps.get_model("insights", "TrustMonthSummary").objects.get()
        assert (trust_summary.organisation_id, trust_summary.annual_spend) == (
            trust.pk,
            Decimal("1200.00"),
        )
        reminder = new_apps.get_model("insights", "RenewalReminder").objects.get()
        assert (reminder.contract_id, reminder.threshold_days) == (contract.pk, 90)
        # The renamed tables keep their sequences and their unique constraints.
        reminders = new_apps.get_model("insights", "RenewalReminder").objects
        later = reminders.create(
            organisation_id=trust.pk,
            contract_id=contract.pk,
            threshold_days=30,
            notice_deadline=date(2026, 10, 3) + timedelta(days=1),
        )
        assert later.pk > reminder.pk
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(
                cursor, "insights_productmonthsummary"
            )
        assert "one_summary_per_product_month" in constraints
        assert "insights_pms_org_month_idx" in constraints
    finally:
        _migrate(latest)
