"""Feedback under load, with summary refreshes sent per post (before) and coalesced (after).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portfolio_bench \\
        .venv/bin/python -m bench.feedback_load --seconds 60 --threads 4

For each mode, on a Redis of its own (a private redis-server on a free port):
1. start one worker (``-Q notifications,celery``, as in production);
2. load: ``--threads`` threads submit feedback for ``--seconds`` (one in ten a safety concern);
   the queue depth is sampled every half second;
3. report the deepest queue, the depth when the load stops, the time to drain after it, the
   summary recomputes run, and the worst delay from a safety concern's save to its e-mail.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--modes", default="per-post,coalesced")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("needs PostgreSQL: set DATABASE_URL")
        return 2
    port = free_port()
    redis = subprocess.Popen(  # noqa: S603
        [shutil.which("redis-server"), "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    os.environ["CACHE_URL"] = f"redis://127.0.0.1:{port}/1"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    # Mail is "sent" in memory: the delay measured is the queue's, not an SMTP server's.
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        rows = [run(mode, options, port) for mode in options.modes.split(",")]
    finally:
        redis.terminate()
    print()
    print(
        "| mode | posts | deepest queue | queue when the load stopped | drain after it (s) "
        "| summary recomputes sent | worst safety e-mail delay (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(value) for value in row) + " |")
    return 0


def run(mode: str, options, port: int) -> tuple:
    import redis as redis_client
    from django.db import close_old_connections
    from django.utils import timezone

    from accounts.models import IntegratedCareSystem, Membership, Organisation, User
    from accounts.permissions import Role
    from accounts.scoping import scope, scopes_disabled
    from core.models import OutboxMessage
    from core.queue import enqueue_on_commit
    from feedback.models import Feedback
    from feedback.services import feedback_submit
    from insights import receivers
    from insights.models import SummaryRefresh
    from insights.services import summaries_schedule_refresh
    from insights.tasks import summaries_recompute_task
    from portfolio.models import Product

    broker = redis_client.Redis(port=port)
    broker.flushall()
    with scopes_disabled():
        ics, _ = IntegratedCareSystem.objects.get_or_create(
            ods_code="QFL", defaults={"name": "Load ICS", "region": "Bench"}
        )
        trust, _ = Organisation.objects.get_or_create(
            ods_code="RFL01", defaults={"name": "Load Trust", "ics": ics}
        )
        Feedback.objects.filter(organisation=trust).delete()
        SummaryRefresh.objects.filter(organisation=trust).delete()
        OutboxMessage.objects.all().delete()
        officer, _ = User.objects.get_or_create(email="load-cso@example.org")
        Membership.objects.get_or_create(
            user=officer, organisation=trust, defaults={"role": Role.CLINICAL_SAFETY_OFFICER}
        )
    with scope(organisation=trust):
        product, _ = Product.objects.get_or_create(
            organisation=trust,
            name="Load EPR",
            defaults={"capability": "epr", "clinical_safety_officer": officer},
        )

    def per_post(organisation_id, months=None):
        month_list = sorted({m.replace(day=1).isoformat() for m in months}) if months else None
        enqueue_on_commit(summaries_recompute_task, organisation_id, month_list)

    receivers.summaries_schedule_refresh = (
        per_post if mode == "per-post" else summaries_schedule_refresh
    )
    env = {**os.environ}
    env.pop("PYTEST_VERSION", None)
    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            "notifications,celery",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(3)  # the worker connecting
    stop_at = time.monotonic() + options.seconds
    posts = [0] * options.threads

    def depth() -> int:
        return broker.llen("celery") + broker.llen("notifications")

    def post(index):
        n = 0
        while time.monotonic() < stop_at:
            with scope(organisation=trust):
                feedback_submit(
                    organisation=trust,
                    data={
                        "product": product,
                        "staff_group": "doctor",
                        "rating": 1 + n % 5,
                        "category": "fault",
                        "text": f"Load post {index}-{n}",
                        "patient_safety": n % 10 == 0,
                        "site": "",
                        "contact_email": "",
                        "contact_consent": False,
                    },
                )
            n += 1
        posts[index] = n
        close_old_connections()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(options.threads)]
    for thread in threads:
        thread.start()
    deepest = 0
    while any(thread.is_alive() for thread in threads):
        deepest = max(deepest, depth())
        time.sleep(0.5)
    at_end = depth()
    began = time.monotonic()
    while depth() > 0 and time.monotonic() - began < 900:
        time.sleep(0.2)
    time.sleep(2)  # the last task finishing
    drain = time.monotonic() - began
    worker.terminate()
    worker.wait(timeout=30)
    recomputes = OutboxMessage.objects.filter(task__startswith="insights.tasks.summaries_").count()
    with scopes_disabled():
        concerns = list(
            Feedback.objects.filter(organisation=trust, patient_safety=True).values_list(
                "created_at", "safety_notified_at"
            )
        )
    delays = [((sent or timezone.now()) - created).total_seconds() for created, sent in concerns]
    worst = max(delays, default=0.0)
    return (mode, sum(posts), deepest, at_end, f"{drain:.1f}", recomputes, f"{worst:.1f}")


if __name__ == "__main__":
    sys.exit(main())
