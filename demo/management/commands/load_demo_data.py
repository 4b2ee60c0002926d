from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.world import DEMO_PASSWORD, load_demo_world


class Command(BaseCommand):
    help = "Create the fictional demo world (2 ICSs, 6 trusts, users for every role). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (creates users with a published password).",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Demo users have a published password: run with DEBUG=1, "
                "or pass --allow-production if you really mean it."
            )
        logins = load_demo_world()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/login/ with:"))
        width = max(len(email) for email, _ in logins)
        for email, description in logins:
            self.stdout.write(f"  {email.ljust(width)}  {description}")
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
