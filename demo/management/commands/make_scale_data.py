"""Scale data for benchmarks: 200 trusts, 5,000 products, 10 M usage rows, 1 M feedback rows.

PostgreSQL only (set-based INSERT … SELECT generate_series): a few minutes on 2 cores. Everything it
makes is tagged (ICS codes QX?/QY?, trust codes RS…, names starting "Scale") and `--delete` removes it.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accounts.models import IntegratedCareSystem, Organisation
from accounts.scoping import scopes_disabled
from feedback.models import Feedback
from insights.models import ProductMonthSummary, RenewalReminder, TrustMonthSummary
from portfolio.models import Contract, Product, ProductChange, UsageRecord

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CAPABILITIES = [
    "epr",
    "epma",
    "pas",
    "integration_engine",
    "reporting",
    "patient_portal",
    "remote_monitoring",
    "decision_support",
    "order_comms",
    "imaging",
    "other",
]
CATEGORIES = [
    "usability",
    "fault",
    "missing_feature",
    "training",
    "performance",
    "integration",
    "praise",
    "patient_safety",
]
STAFF = [
    "doctor",
    "nurse_midwife",
    "pharmacist",
    "ahp",
    "healthcare_scientist",
    "admin_clerical",
    "other",
]


class Command(BaseCommand):
    help = "Create (or --delete) benchmark-scale data on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--trusts", type=int, default=200)
        parser.add_argument("--products-per-trust", type=int, default=25)
        parser.add_argument("--days", type=int, default=1000)
        parser.add_argument("--sites", type=int, default=2)
        parser.add_argument("--feedback", type=int, default=1_000_000)
        parser.add_argument("--delete", action="store_true")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Scale data needs PostgreSQL (set DATABASE_URL).")
        started = time.perf_counter()
        with scopes_disabled():
            self._delete()
            if options["delete"]:
                self.stdout.write("Scale data deleted.")
                return
            self._create(options)
        self.stdout.write(f"Done in {time.perf_counter() - started:.0f} s.")

    def _step(self, label, sql, params=()):
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            cursor.execute(sql, params)
            rows = cursor.rowcount
        self.stdout.write(f"  {label}: {rows:,} rows in {time.perf_counter() - began:.1f} s")

    def _delete(self):
        trusts = list(
            Organisation.objects.filter(ods_code__startswith="RS").values_list("pk", flat=True)
        )
        if not trusts:
            return
        with connection.cursor() as cursor:
            for model in (
                ProductMonthSummary,
                TrustMonthSummary,
                RenewalReminder,
                UsageRecord,
                Feedback,
                Contract,
                ProductChange,
            ):
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE organisation_id = ANY(%s)",  # noqa: S608 - table from model meta
                    [trusts],
                )
        Product.objects.filter(organisation_id__in=trusts).delete()
        Organisation.objects.filter(pk__in=trusts).delete()
        IntegratedCareSystem.objects.filter(ods_code__regex=r"^Q[XY]").delete()

    @transaction.atomic
    def _create_reference(self, options):
        icss = []
        for i in range(max(1, options["trusts"] // 5)):
            code = "Q" + "XY"[i // 36] + ALPHABET[i % 36]
            icss.append(
                IntegratedCareSystem.objects.create(
                    ods_code=code, name=f"Scale ICS {code}", region="Scale"
                )
            )
        Organisation.objects.bulk_create(
            [
                Organisation(
                    ods_code=f"RS{i:03d}", name=f"Scale Trust {i:03d}", ics=icss[i % len(icss)]
                )
                for i in range(options["trusts"])
            ]
        )

    def _create(self, options):
        self._create_reference(options)
        self.stdout.write(f"  reference: {options['trusts']} trusts")
        self._step(
            "suppliers",
            "INSERT INTO portfolio_supplier (name) SELECT 'Scale Supplier ' || n "
            "FROM generate_series(1, 20) n ON CONFLICT (name) DO NOTHING",
        )
        self._step(
            "products",
            """
            INSERT INTO portfolio_product (organisation_id, name, capability, supplier_id, lifecycle_stage, vision,
                time_decision, time_rationale, licensed_seats, created_at, updated_at)
            SELECT o.id, 'Scale product ' || n, (%s::text[])[1 + (n %% 11)],
                   (SELECT id FROM portfolio_supplier WHERE name = 'Scale Supplier ' || (1 + (n %% 20))),
                   'live', '', '', '', 500 + (n * 37 %% 3000), now(), now()
            FROM accounts_organisation o CROSS JOIN generate_series(1, %s) n
            WHERE o.ods_code LIKE 'RS%%'
            """,
            [CAPABILITIES, options["products_per_trust"]],
        )
        self._step(
            "contracts",
            """
            INSERT INTO portfolio_contract (organisation_id, product_id, supplier_id, reference, start_date, end_date,
                annual_cost, licence_model, seats, notice_period_days, renewal_status, created_at)
            SELECT p.organisation_id, p.id, p.supplier_id, '', current_date - 700, current_date + (p.id %% 900)::int,
                   10000 + (p.id * 7919 %% 500000), 'per_user', p.licensed_seats, 90, 'not_started', now()
            FROM portfolio_product p JOIN accounts_organisation o ON o.id = p.organisation_id
            WHERE o.ods_code LIKE 'RS%%'
            """,
        )
        self._step(
            "usage rows",
            """
            INSERT INTO portfolio_usagerecord (organisation_id, product_id, date, active_users, site, department)
            SELECT p.organisation_id, p.id, current_date - d::int, (p.id * 13 + d * 7 + s * 31) %% 1500, 'Site ' || s, ''
            FROM portfolio_product p JOIN accounts_organisation o ON o.id = p.organisation_id
            CROSS JOIN generate_series(1, %s) d CROSS JOIN generate_series(1, %s) s
            WHERE o.ods_code LIKE 'RS%%'
            """,
            [options["days"], options["sites"]],
        )
        self._step(
            "feedback rows",
            """
            WITH products AS (
                SELECT row_number() OVER (ORDER BY p.id) AS i, p.id, p.organisation_id
                FROM portfolio_product p JOIN accounts_organisation o ON o.id = p.organisation_id
                WHERE o.ods_code LIKE 'RS%%'
            ), counted AS (SELECT count(*) AS c FROM products)
            INSERT INTO feedback_feedback (organisation_id, product_id, staff_group, rating, category, text,
                patient_safety, site, contact_email, contact_consent, status, response, safety_outcome,
                safety_reference, created_at, updated_at)
            SELECT p.organisation_id, p.id, (%s::text[])[1 + (n %% 7)], 1 + (n %% 5), (%s::text[])[1 + (n %% 8)],
                   'Scale feedback ' || n, (n %% 8) = 7, '', '', false, 'new', '', '', '',
                   now() - ((n %% %s) || ' days')::interval, now()
            FROM generate_series(1, %s) n CROSS JOIN counted
            JOIN products p ON p.i = 1 + (n %% counted.c)
            """,
            [STAFF, CATEGORIES, options["days"], options["feedback"]],
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
