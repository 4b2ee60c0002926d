"""`make bench`: the DESIGN.md figures, measured as ratios in one run on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolio_bench make bench

Creates the scale data first if it is missing (200 trusts, 5,000 products, 10 M usage rows,
1 M feedback rows), then reports:
1. full summary recompute vs the equivalent raw SQL GROUP BY;
2. incremental recompute after one day's import;
3. dashboard requests per second vs a bare 50-row page, under gunicorn (2 sync workers), with wrk;
4. query counts of the dashboards for a small and a large trust.

Row-level security (accounts/rls.py) applies only to the app role: the recompute and the pages are
measured both as DATABASE_URL's superuser (no RLS) and as `portfolio_app` (RLS), in the same run.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def setup_django():
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def timed(fn):
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def main() -> int:
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        print("make bench needs PostgreSQL: set DATABASE_URL")
        return 2
    call_command("migrate", verbosity=0)
    call_command("db_roles", verbosity=0)
    from accounts.models import Organisation

    trusts = list(Organisation.objects.filter(ods_code__startswith="RS").order_by("ods_code"))
    if len(trusts) < 200:
        print("Creating scale data (once)...")
        took, _ = timed(lambda: call_command("make_scale_data"))
        print(f"scale data created in {took:.0f} s")
        trusts = list(Organisation.objects.filter(ods_code__startswith="RS").order_by("ods_code"))
    report = []
    report += bench_recompute(trusts)
    report += bench_incremental(trusts)
    report += bench_queries(trusts)
    report += bench_http(trusts)
    print("\n".join(report))
    return 0


APP_ROLE = "portfolio_app"


class as_role:
    """Run the block connected as ``user`` (None: DATABASE_URL's own user)."""

    def __init__(self, user):
        self.user = user

    def __enter__(self):
        from django.db import connection

        self.previous = connection.settings_dict["USER"]
        if self.user:
            connection.close()
            connection.settings_dict["USER"] = self.user

    def __exit__(self, *exc):
        from django.db import connection

        connection.close()
        connection.settings_dict["USER"] = self.previous


def bench_recompute(trusts):
    from django.db import connection

    from accounts.scoping import scope
    from insights.summaries import summaries_recompute
    from portfolio.models import UsageRecord

    rows = UsageRecord.unscoped.filter(organisation__in=trusts).count()
    raw_sql = """
        SELECT product_id, month, COUNT(*), AVG(users), MAX(users) FROM (
            SELECT product_id, date_trunc('month', date)::date AS month, date, SUM(active_users) AS users
            FROM portfolio_usagerecord WHERE organisation_id = ANY(%s) GROUP BY product_id, date
        ) d GROUP BY product_id, month
    """
    ids = [t.pk for t in trusts]

    def raw():
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")
            cursor.execute(raw_sql, [ids])
            return len(cursor.fetchall())

    raw()  # warm the cache so both sides read from memory
    raw_time, groups = timed(raw)

    def recompute_all():
        written = 0
        for trust in trusts:
            with scope(organisation=trust):
                written += summaries_recompute(trust)
        return written

    full_time, written = timed(recompute_all)
    with as_role(APP_ROLE):
        rls_time, _ = timed(recompute_all)
    return [
        "## Full summary recompute",
        f"usage rows: {rows:,}; product-month groups: {groups:,}; summary rows written: {written:,}",
        f"raw SQL GROUP BY (one statement): {raw_time:.1f} s",
        f"full recompute (all {len(trusts)} trusts, upserts included): {full_time:.1f} s",
        f"ratio full / raw: {full_time / raw_time:.2f} (target <= 1.5)",
        f"full recompute as {APP_ROLE}, under row-level security: {rls_time:.1f} s "
        f"({rls_time / full_time - 1:+.0%} vs without; target within 10 %)",
        "",
    ]


def bench_incremental(trusts):
    from django.utils import timezone

    from accounts.scoping import scope
    from insights.summaries import summaries_recompute
    from portfolio.models import Product, UsageRecord
    from portfolio.usage_import import write_rows

    def recompute(trust, months):
        with scope(organisation=trust):
            return summaries_recompute(trust, months)

    today = timezone.localdate()
    UsageRecord.unscoped.filter(organisation__in=trusts, date=today).delete()
    products = list(
        Product.unscoped.filter(organisation__in=trusts).values_list("pk", "organisation_id")
    )
    by_trust = {}
    for pk, org in products:
        by_trust.setdefault(org, []).append((pk, today, 100 + pk % 50, "Site 1", ""))

    def import_all():
        for org, rows in by_trust.items():
            with scope(organisations=[org]):
                write_rows(org, rows)

    import_time, _ = timed(import_all)
    inc_time, written = timed(lambda: sum(recompute(t, [today]) for t in trusts))
    one_time, _ = timed(lambda: recompute(trusts[0], [today]))
    UsageRecord.unscoped.filter(organisation__in=trusts, date=today).delete()
    return [
        "## Incremental recompute after one day's import",
        f"one day's rows imported: {len(products):,} in {import_time:.1f} s",
        f"incremental recompute of the current month for all {len(trusts)} trusts: {inc_time:.2f} s "
        f"({written:,} rows) (target <= 2 s)",
        f"incremental recompute for one trust (what an import enqueues): {one_time * 1000:.0f} ms",
        "",
    ]


def _dashboard_user(trust):
    from accounts.models import IcsMembership, Membership, User
    from accounts.permissions import Role

    user, _ = User.objects.get_or_create(email=f"bench-{trust.ods_code.lower()}@example.org")
    Membership.objects.get_or_create(user=user, organisation=trust, defaults={"role": Role.VIEWER})
    IcsMembership.objects.get_or_create(user=user, ics=trust.ics)
    return user


def bench_queries(trusts):
    """Queries per dashboard view at 10 M-row scale: first view (body rendered from the summaries)
    and later views (body served from the cache). tests/insights/test_dashboards.py asserts the count is the
    same for 10 and 1,000 products."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from portfolio.models import Product

    trust = trusts[0]
    client = Client()
    client.force_login(_dashboard_user(trust))
    cache.clear()
    products = Product.unscoped.filter(organisation=trust).count()
    lines = [
        f"## Query counts at scale (trust {trust.ods_code}: {products} products; its ICS: "
        f"{trust.ics.organisations.count()} trusts)"
    ]
    for name, url in (
        ("trust dashboard", f"/o/{trust.ods_code}/dashboard/"),
        ("ICS dashboard", f"/ics/{trust.ics.ods_code}/dashboard/"),
        (
            "product dashboard",
            f"/o/{trust.ods_code}/products/"
            f"{Product.unscoped.filter(organisation=trust).first().pk}/dashboard/",
        ),
    ):
        counts = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                status = client.get(url, HTTP_HOST="127.0.0.1").status_code
            counts.append(len(captured.captured_queries))
        lines.append(
            f"{name}: {counts[0]} queries on first view, {counts[1]} after (HTTP {status})"
        )
    return [*lines, ""]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def bench_http(trusts):
    without = _bench_http(trusts, None)
    with_rls = _bench_http(trusts, APP_ROLE)
    lines = [
        "## Throughput under gunicorn (2 sync workers, wrk -t2 -c4 -d10s, same machine)",
        "page: without RLS (superuser) | with RLS (portfolio_app)",
    ]
    if without is None:
        return ["## Throughput", "wrk is not installed (apt-get install wrk): skipped", ""]
    bare = without["bare 50-row page"]
    for label, rps in without.items():
        if label.endswith(" errors"):
            continue
        ratio = f" = {rps / bare:.0%} of the bare page" if label != "bare 50-row page" else ""
        errors = " ".join(e for e in (without[label + " errors"], with_rls[label + " errors"]) if e)
        lines.append(
            f"{label}: {rps:.0f} req/s{ratio} | {with_rls[label]:.0f} req/s "
            f"({with_rls[label] / rps - 1:+.0%} with RLS){' (' + errors + ')' if errors else ''}"
        )
    lines.append("targets: dashboards >= 50 % of the bare page; RLS within 10 %")
    return [*lines, ""]


def _bench_http(trusts, role):
    from django.test import Client

    if not shutil.which("wrk"):
        return None
    trust = trusts[0]
    user = _dashboard_user(trust)
    # A real sign-in (the session stamps the timeouts check): a hand-made session is signed out
    # at once, and the dashboards then measured a redirect to the sign-in page.
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    if role:
        env["DATABASE_USER"] = role
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(3)
        results = {}
        pages = {
            "bare 50-row page": "/__bench__/bare/",
            "trust dashboard": f"/o/{trust.ods_code}/dashboard/",
            "ICS dashboard": f"/ics/{trust.ics.ods_code}/dashboard/",
            "product list": f"/o/{trust.ods_code}/products/",
        }
        for label, path in pages.items():
            request = urllib.request.Request(  # noqa: S310 - our own local server
                f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": cookie}
            )
            try:
                with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as answer:
                    status = answer.status
            except urllib.error.HTTPError as error:
                status = error.code
            if status != 200:  # wrk would count a redirect as a success
                raise SystemExit(f"{label}: HTTP {status}, not 200; the figures would be wrong")
            output = subprocess.run(  # noqa: S603
                [
                    shutil.which("wrk"),
                    "-t2",
                    "-c4",
                    "-d10s",
                    "-H",
                    f"Cookie: {cookie}",
                    f"http://127.0.0.1:{PORT}{path}",
                ],
                capture_output=True,
                text=True,
                timeout=60,
            ).stdout
            rps = next(
                (
                    float(line.split()[1])
                    for line in output.splitlines()
                    if line.startswith("Requests/sec")
                ),
                0.0,
            )
            non2xx = next((line.strip() for line in output.splitlines() if "Non-2xx" in line), "")
            results[label] = rps
            results[label + " errors"] = non2xx
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    return results


if __name__ == "__main__":
    sys.exit(main())
