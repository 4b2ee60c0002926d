"""Benchmark the API (issue 14): usage rows sent through the API end to end, and list throughput.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolio_bench \\
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python -m bench.api --rows 1000000

Creates its own ICS, trust, products and feedback (codes QZY / RZZZY), starts gunicorn (2 sync
workers) and one Celery worker, then reports, in one run:
1. 1 M usage rows POSTed as JSON and as CSV, timed from the first byte sent until the job says
   succeeded (target: 30 s), with the request's own share;
2. requests per second of the list endpoints against a bare DRF endpoint returning 50 rows
   (wrk -t2 -c4 -d10s; target: at least 50 %);
3. queries per list request at page sizes 10 and 50, for a trust of 60 products and one of 600
   (target: the same number).
Deletes what it made.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8766


def setup_django():
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["API_RATE"] = "100000000/minute"  # it measures the API, not the rate limit
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--lists-only", action="store_true", help="measure the list endpoints, not ingestion"
    )
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        print("bench.api needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
        return 2
    call_command("migrate", verbosity=0)
    world = make_world()
    processes = start_servers()
    try:
        report = [f"database: {connection.settings_dict['NAME']}"]
        if not args.lists_only:
            report += bench_ingestion(world, args.rows)
        report += bench_lists(world)
        report += bench_queries(world)
        print("\n".join(report))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        clean_up()
    return 0


def make_world() -> dict:
    from django.db import connection
    from django.utils import timezone

    from accounts import services
    from accounts.models import IntegratedCareSystem, Membership, Organisation, User
    from accounts.permissions import Role
    from accounts.scoping import scope, scopes_disabled
    from feedback.models import Feedback
    from insights.summaries import summaries_recompute
    from portfolio.models import Product

    clean_up()
    ics = IntegratedCareSystem.objects.create(ods_code="QZY", name="Bench API ICS", region="Bench")
    world = {}
    for code, products in (("RZZZY", 60), ("RZZZX", 600)):
        trust = Organisation.objects.create(ods_code=code, name=f"Bench API {code}", ics=ics)
        admin = User.objects.create(email=f"bench-api-{code.lower()}@example.org")
        Membership.objects.create(user=admin, organisation=trust, role=Role.ORG_ADMIN)
        with scopes_disabled():
            made = Product.unscoped.bulk_create(
                Product(organisation=trust, name=f"Bench product {i}", capability="epr")
                for i in range(products)
            )
            Feedback.unscoped.bulk_create(
                Feedback(
                    organisation=trust,
                    product=made[i % len(made)],
                    staff_group="doctor",
                    rating=1 + i % 5,
                    category="usability",
                    text=f"Bench feedback {i}",
                )
                for i in range(products * 2)
            )
            _, secret = services.api_token_create(
                organisation=trust,
                name="bench",
                role=Role.ORG_ADMIN,
                read_only=False,
                expires_at=timezone.now() + timedelta(days=1),
                actor=admin,
            )
        with scope(organisation=trust):
            summaries_recompute(trust)
        world[code] = {"trust": trust, "secret": secret, "products": [p.name for p in made]}
    with connection.cursor() as cursor:
        # As autovacuum would have (this bench makes and deletes its trusts on every run), so
        # tables and plans are those of a live site.
        cursor.execute("VACUUM ANALYZE")
    return world


def clean_up():
    """Delete the benchmark's trusts and everything that refers to them (whatever the order of
    the protected foreign keys)."""
    from django.db.models import ProtectedError

    from accounts.models import IntegratedCareSystem, Organisation, User
    from accounts.scoping import scopes_disabled

    with scopes_disabled():
        for _ in range(10):
            try:
                Organisation.objects.filter(ods_code__in=["RZZZY", "RZZZX"]).delete()
                break
            except ProtectedError as error:
                by_model = {}
                for obj in error.protected_objects:
                    by_model.setdefault(type(obj), []).append(obj.pk)
                for model, pks in by_model.items():
                    try:
                        model._base_manager.filter(pk__in=pks).delete()
                    except ProtectedError:
                        continue  # its own dependants go first, on the next round
    IntegratedCareSystem.objects.filter(ods_code="QZY").delete()
    User.objects.filter(email__startswith="bench-api-").delete()


def start_servers() -> list:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    web = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--queues=notifications,celery",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
    time.sleep(4)
    return [web, worker]


def call(method, path, secret, body=None, content_type="application/json"):
    request = urllib.request.Request(  # noqa: S310 - our own local server
        f"http://127.0.0.1:{PORT}{path}",
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=300) as answer:  # noqa: S310
        return answer.status, json.loads(answer.read() or b"null")


def usage_rows(products: list[str], count: int) -> list[dict]:
    sites = count // (len(products) * 365) + 1
    rows, day, start = [], 0, date.today() - timedelta(days=400)
    while len(rows) < count:
        d = (start + timedelta(days=day)).isoformat()
        for name in products:
            for site in range(sites):
                if len(rows) == count:
                    break
                rows.append(
                    {
                        "date": d,
                        "product": name,
                        "active_users": len(rows) % 3000,
                        "site": f"S{site}",
                    }
                )
        day += 1
    return rows


def bench_ingestion(world, count: int) -> list[str]:
    bench = world["RZZZY"]
    rows = usage_rows(bench["products"][:40], count)
    as_json = json.dumps(rows).encode()
    header = "date,product,active_users,site\n"
    as_csv = (
        header
        + "".join(f"{r['date']},{r['product']},{r['active_users']},{r['site']}\n" for r in rows)
    ).encode()
    del rows
    lines = [f"## {count:,} usage rows through the API (gunicorn + 1 Celery worker)"]
    for label, body, content_type in (
        ("JSON", as_json, "application/json"),
        ("CSV, the same rows again (idempotent upsert)", as_csv, "text/csv"),
        ("JSON, the same rows a third time", as_json, "application/json"),
    ):
        began = time.perf_counter()
        status, job = call("POST", "/api/v1/usage-imports/", bench["secret"], body, content_type)
        answered = time.perf_counter() - began
        assert status == 202, (status, job)
        while job["status"] not in ("succeeded", "failed"):
            time.sleep(0.25)
            _, job = call("GET", job["url"], bench["secret"])
        took = time.perf_counter() - began
        assert job["status"] == "succeeded", job["errors"][:3] or job["failure_reason"]
        lines.append(
            f"{label} ({len(body) / 1e6:.0f} MB): {took:.1f} s end to end "
            f"({job['rows_imported'] / took:,.0f} rows/s; the POST answered 202 in {answered:.1f} s)"
        )
    lines.append("target: 1 M rows in 30 s or less")
    return [*lines, ""]


def wrk(path: str, secret: str | None) -> tuple[float, str]:
    command = [shutil.which("wrk"), "-t2", "-c4", "-d10s"]
    if secret:
        command += ["-H", f"Authorization: Bearer {secret}"]
    output = subprocess.run(  # noqa: S603
        [*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True, timeout=60
    ).stdout
    rps = next(
        (float(line.split()[1]) for line in output.splitlines() if line.startswith("Requests/sec")),
        0.0,
    )
    errors = next((line.strip() for line in output.splitlines() if "Non-2xx" in line), "")
    return rps, errors


def bench_lists(world) -> list[str]:
    if not shutil.which("wrk"):
        return ["## List throughput", "wrk is not installed (apt-get install wrk): skipped", ""]
    secret = world["RZZZX"]["secret"]
    lines = [
        "## List throughput (wrk -t2 -c4 -d10s, 50 rows a page, trust of 600 products)",
        "each endpoint right after the bare DRF endpoint (50 rows, no sign-in), so that both",
        "see the same machine",
    ]
    for label, path in (
        ("products", "/api/v1/products/?page_size=50"),
        ("feedback", "/api/v1/feedback/?page_size=50"),
        ("roadmap items", "/api/v1/roadmap-items/?page_size=50"),
        ("product summaries", "/api/v1/summaries/products/?page_size=50"),
        ("usage imports", "/api/v1/usage-imports/?page_size=50"),
    ):
        bare, _ = wrk("/__bench__/bare-api/", None)
        rps, errors = wrk(path, secret)
        lines.append(
            f"{label}: {rps:.0f} req/s against {bare:.0f} = {rps / bare:.0%} of the bare endpoint"
            + (f" ({errors})" if errors else "")
        )
    lines.append("target: at least 50 % of the bare endpoint")
    return [*lines, ""]


def bench_queries(world) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    lines = ["## Queries per list request (page size 10 | 50; trust of 60 | 600 products)"]
    for path in (
        "/api/v1/products/",
        "/api/v1/feedback/",
        "/api/v1/summaries/products/",
        "/api/v1/usage-imports/",
    ):
        counts = []
        for code in ("RZZZY", "RZZZX"):
            client = Client(HTTP_AUTHORIZATION=f"Bearer {world[code]['secret']}")
            client.get(path, HTTP_HOST="127.0.0.1")  # the token's first use is recorded once
            for size in (10, 50):
                with CaptureQueriesContext(connection) as captured:
                    status = client.get(f"{path}?page_size={size}", HTTP_HOST="127.0.0.1")
                assert status.status_code == 200, status.content[:300]
                counts.append(len(captured.captured_queries))
        lines.append(f"{path}: {' | '.join(map(str, counts))}")
    lines.append("target: the same number in every column")
    return [*lines, ""]


if __name__ == "__main__":
    sys.exit(main())
