from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.ods import load_icbs, load_trusts


class Command(BaseCommand):
    help = (
        "Load ICBs and NHS trusts from ODS CSV files (standard headerless ODS layout). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--icbs", type=Path, help="ODS file of ICBs (codes Q..)")
        parser.add_argument("--trusts", type=Path, help="ODS file of NHS trusts (etr.csv)")

    def handle(self, *args, icbs=None, trusts=None, **options):
        if not icbs and not trusts:
            raise CommandError("Give --icbs FILE and/or --trusts FILE.")
        problems = []
        for label, path, loader in (("ICBs", icbs, load_icbs), ("trusts", trusts, load_trusts)):
            if path is None:
                continue
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except FileNotFoundError:
                raise CommandError(f"{path}: no such file.") from None
            except UnicodeDecodeError:
                text = path.read_bytes().decode("cp1252")  # older ODS extracts are Windows-1252
            result = loader(text)
            self.stdout.write(
                f"{label}: {result.created} added, {result.updated} updated, "
                f"{result.skipped_closed} closed and skipped, {len(result.problems)} problems"
            )
            problems += result.problems
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} rows were not loaded; see above.")
