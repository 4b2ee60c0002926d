"""Benchmark: import N usage rows from a CSV through the real import path.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolio_bench \\
        .venv/bin/python -m bench.usage_import --rows 1000000

Creates its own ICS, trust and products (codes QZZ / RZZZZ), runs the import twice (first load,
then the idempotent re-import of the same rows), prints the timings, and deletes what it made.
"""

import argparse
import os
import sys
import time
from datetime import date, timedelta

import django


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=40)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    django.setup()
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import IntegratedCareSystem, Organisation
    from accounts.scoping import scopes_disabled
    from portfolio.models import Product, UsageImport, UsageRecord
    from portfolio.usage_import import usage_import_process

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    ics, _ = IntegratedCareSystem.objects.get_or_create(
        ods_code="QZZ", defaults={"name": "Bench ICS", "region": "Bench"}
    )
    trust, _ = Organisation.objects.get_or_create(
        ods_code="RZZZZ", defaults={"name": "Bench Trust", "ics": ics}
    )
    with scopes_disabled():
        UsageRecord.unscoped.filter(organisation=trust).delete()
        names = [f"Bench product {i}" for i in range(args.products)]
        for name in names:
            Product.unscoped.get_or_create(
                organisation=trust, name=name, defaults={"capability": "epr"}
            )

    sites = args.rows // (args.products * 365) + 1
    lines = ["date,product,active_users,site"]
    start = date(2024, 1, 1)
    count = 0
    day = 0
    while count < args.rows:
        d = (start + timedelta(days=day)).isoformat()
        for name in names:
            for site in range(sites):
                if count == args.rows:
                    break
                lines.append(f"{d},{name},{(count * 7) % 3000},Site {site}")
                count += 1
        day += 1
    content = ("\n".join(lines) + "\n").encode()
    print(
        f"rows: {count:,}  file: {len(content) / 1e6:.1f} MB  products: {args.products}  days: {day}"
    )

    from django.utils import timezone

    from accounts.scoping import scope
    from portfolio import usage_import

    with scope(organisation=trust):
        began = time.perf_counter()
        text = usage_import.decode(content)
        parsed = usage_import.parse(text, usage_import.products_by_name(), timezone.localdate())
        print(f"  of which decode + validate alone: {time.perf_counter() - began:.1f} s")
        del parsed, text
    call_command("db_roles", verbosity=0)
    superuser = connection.settings_dict["USER"]
    # Row-level security (accounts/rls.py) applies to the app role only: the same imports as
    # DATABASE_URL's superuser (no RLS), then as portfolio_app (RLS), in this one run.
    timings = {}
    for role in (superuser, "portfolio_app"):
        with scopes_disabled():
            UsageRecord.unscoped.filter(organisation=trust).delete()
        connection.close()
        connection.settings_dict["USER"] = role
        for label in ("first import", "re-import (idempotent upsert)"):
            with scope(organisation=trust):
                record = UsageImport.objects.create(organisation=trust, original_name="bench.csv")
                record.file.save("bench.csv", ContentFile(content))
            began = time.perf_counter()
            with scope(organisation=trust):
                usage_import_process(record.pk)
            elapsed = time.perf_counter() - began
            with scope(organisation=trust):
                record.refresh_from_db()
            assert record.status == "succeeded", record.errors[:3]
            timings[role, label] = elapsed
            rls = " under RLS" if role == "portfolio_app" else " (no RLS)"
            print(
                f"{label} as {role}{rls}: {elapsed:.1f} s  "
                f"({record.rows_imported / elapsed:,.0f} rows/s)"
            )
            with scope(organisation=trust):
                record.file.delete()
                record.delete()
        connection.close()
        connection.settings_dict["USER"] = superuser
    for label in ("first import", "re-import (idempotent upsert)"):
        change = timings["portfolio_app", label] / timings[superuser, label] - 1
        print(f"{label}: RLS {change:+.0%} (target within 10 %)")
    with scopes_disabled():
        stored = UsageRecord.unscoped.filter(organisation=trust).count()
        print(f"rows stored: {stored:,} (re-import added none: {stored == count})")
        UsageRecord.unscoped.filter(organisation=trust).delete()
        Product.unscoped.filter(organisation=trust).delete()
    trust.delete()
    ics.delete()
    return 0


if __name__ == "__main__":
    sys.exit(main())
