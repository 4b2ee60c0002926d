from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.ods import OdsFileError, ods_import_files


class Command(BaseCommand):
    help = (
        "Load ICBs and NHS trusts from the ODS extracts (headerless CSV, 27 or 24 columns): "
        "--icbs eccg.csv (or a file of ICBs), --trusts etr.csv, optionally --successors succ.csv. "
        "Idempotent. Rows that cannot be loaded are listed; the command fails only for a file "
        "that is not an ODS extract."
    )

    def add_arguments(self, parser):
        parser.add_argument("--icbs", type=Path, help="eccg.csv, or an ODS file of ICBs")
        parser.add_argument("--trusts", type=Path, help="etr.csv: NHS trusts")
        parser.add_argument("--successors", type=Path, help="succ.csv: who succeeded whom")

    def handle(self, *args, icbs=None, trusts=None, successors=None, **options):
        if not (icbs or trusts or successors):
            raise CommandError("Give --icbs FILE, --trusts FILE and/or --successors FILE.")
        try:
            results = ods_import_files(icbs=icbs, trusts=trusts, successors=successors)
        except OdsFileError as error:
            raise CommandError(str(error)) from None
        for result in results:
            self.stdout.write(result.summary())
            for problem in result.problems:
                self.stderr.write(f"{result.label}: {problem}")
