"""Usage CSV import: validate every row first, then write all rows or none.

Layout (header required, any column order, case-insensitive)::

    date,product,active_users[,site][,department]

``date`` is YYYY-MM-DD or DD/MM/YYYY; ``product`` is the product's name in this trust's catalogue;
``active_users`` is a whole number, 0 or more. Re-importing the same rows updates them in place
(one row per product, date, site and department), so an import can safely be repeated.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import psycopg
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from core.batch import BatchReport, run_isolated
from core.dates import EARLIEST_DATE, long_date, months_between
from core.models import StoredFile
from core.text import has_control_characters, one_line

from .models import ImportStatus, Product, UsageImport, UsageRecord
from .signals import portfolio_changed

MAX_UPLOAD_BYTES = 40 * 1024 * 1024  # a file chosen on the page
# A body sent to the API (its JSON is stored as CSV, which is smaller): 1 M rows with long names.
MAX_API_BYTES = 200 * 1024 * 1024
MAX_API_ROWS = 1_000_000
MAX_STORED_ERRORS = 500
MAX_ACTIVE_USERS = 10_000_000
REQUIRED_COLUMNS = ("date", "product", "active_users")
OPTIONAL_COLUMNS = ("site", "department")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TEXT_LIMITS = {"site": 100, "department": 100}

# An import in progress whose progress has not moved for this long (or one still waiting) has
# lost its worker: the sweep requeues it. Progress moves every 50,000 rows checked.
STUCK_AFTER = timedelta(minutes=10)
# Runs that may stop (worker killed) before the sweep gives up and fails the import.
MAX_ATTEMPTS = 5
# Waits before each retry after a transient database error; then the import fails.
RETRY_DELAYS_SECONDS = (0.5, 2.0, 5.0)
# A file that failed for a reason other than its rows is kept this long for "Try again".
KEEP_FAILED_FILES = timedelta(days=7)
# A stored upload no import names (the database failed between saving it and recording the
# import, and then could not delete it either) is deleted after this long.
ORPHAN_FILES_AFTER = timedelta(days=1)
# Deadlocks, serialisation failures, dropped connections, timeouts: worth another try. psycopg's
# own classes (DeadlockDetected, SerializationFailure, ...) come from the raw COPY cursor.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError)

REASON_BUSY = (
    "The database was too busy to save the rows, even after several tries. Nothing was "
    "imported. Try again in a few minutes."
)
REASON_FILE_MISSING = (
    "The uploaded file is no longer stored on the server, so it could not be read. Nothing was "
    "imported. Upload the file again."
)
REASON_FILE_UNREADABLE = (
    "The uploaded file could not be read from the server's storage. Nothing was imported. Try "
    "again. If it happens again, contact your system administrator."
)
REASON_UNEXPECTED = (
    "Something went wrong on our side while importing the file. Nothing was imported. Try "
    "again. If it happens again, contact your system administrator."
)
REASON_INTERRUPTED = (
    f"The import was interrupted {MAX_ATTEMPTS} times before it could finish, so it has been "
    "stopped. Try again. If it stops again, split the file into smaller files by date."
)

logger = logging.getLogger(__name__)


class ImportRejected(Exception):
    def __init__(self, errors: list[dict], error_count: int | None = None, rows_total: int = 0):
        super().__init__(f"{error_count or len(errors)} problems")
        self.errors = errors
        self.error_count = error_count if error_count is not None else len(errors)
        self.rows_total = rows_total


@dataclass
class ParsedFile:
    rows: list[tuple[int, date, int, str, str]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    rows_total: int = 0

    def error(self, line: int | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"line": line, "message": message})


def _file_error(message: str) -> ImportRejected:
    return ImportRejected([{"line": None, "message": message}])


def decode(raw: bytes) -> str:
    if len(raw) == 0:
        raise _file_error("The file is empty. Choose a CSV file with a header row and data rows.")
    if len(raw) > MAX_API_BYTES:
        raise _file_error(
            f"The file must be smaller than {MAX_API_BYTES // (1024 * 1024)} MB. "
            "Split it into several files by date."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportRejected(
            [
                {
                    "line": line,
                    "message": "The file is not UTF-8 text. In your spreadsheet, save it as "
                    "'CSV UTF-8' and upload it again.",
                }
            ]
        ) from None


COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_COLUMN_SET = frozenset(COLUMNS)
_PLAIN_TYPES = frozenset({str, int, type(None)})  # not bool, float or a subclass: the long way


def rows_to_csv(rows) -> bytes:
    """Rows sent as JSON (a list of objects with the CSV's column names as keys), as the CSV
    they stand for, so that they are checked and written by exactly the same code as a file.

    Only the shape is checked here (ImportRejected, with each problem's 1-based ``row``); the
    values are checked by :func:`parse` like a file's. Row n becomes line n + 1 of the CSV.
    """
    if not isinstance(rows, list):
        raise _file_error(
            "Send a JSON array of rows, like "
            '[{"date": "2025-03-31", "product": "EPR", "active_users": 120}].'
        )
    if not rows:
        raise _file_error("The array has no rows.")
    problems = []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for number, row in enumerate(rows, start=1):
        if len(problems) >= MAX_STORED_ERRORS:
            break
        if type(row) is dict and row.keys() <= _COLUMN_SET:
            values = [row.get(name) for name in COLUMNS]
            if all(type(value) in _PLAIN_TYPES for value in values):
                writer.writerow(values)  # the usual row: None is written as an empty cell
                continue
        if not isinstance(row, dict):
            problems.append({"row": number, "message": "Each row must be a JSON object."})
            continue
        unknown = [key for key in row if key not in COLUMNS]
        if unknown:
            problems.append(
                {
                    "row": number,
                    "message": f"Unknown field '{_shown(str(unknown[0]))}'. Fields are "
                    f"{', '.join(REQUIRED_COLUMNS)}, and optionally {', '.join(OPTIONAL_COLUMNS)}.",
                }
            )
            continue
        values = []
        for name in COLUMNS:
            value = row.get(name)
            if value is None:
                value = ""
            elif isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float | str):
                value = str(value)
            else:
                problems.append({"row": number, "message": f"{name} must be a string or a number."})
                break
            values.append(value)
        else:
            writer.writerow(values)
    if problems:
        raise ImportRejected(problems)
    return out.getvalue().encode()


@functools.lru_cache(maxsize=8192)  # a usage file repeats the same few hundred dates
def parse_date(value: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


def _shown(value: str) -> str:
    return one_line(value, limit=40)


def parse(
    text: str,
    products_by_name: dict[str, int],
    today: date,
    progress=None,
    *,
    fast_path: bool = True,
) -> ParsedFile:
    """Validate every row; collect each problem with its line number.

    A row is first offered to :class:`_FastPath`, which accepts only rows it can prove valid
    from values already checked in full (a file repeats the same few dates, products and
    sites); anything else, and every row that has a problem, goes through :func:`_check_row`.
    ``fast_path=False`` checks every row in full (the tests compare the two).
    """
    result = ParsedFile()
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportRejected(
            [
                {
                    "line": line,
                    "message": "The file contains a NUL character, so it is not a CSV text file.",
                }
            ]
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise _file_error(
            "The file is empty. Choose a CSV file with a header row and data rows."
        ) from None
    except csv.Error as error:
        raise _file_error(f"Line 1 could not be read as CSV: {error}.") from None
    columns = [name.strip().lower() for name in header]
    expected = f"Columns must be {', '.join(REQUIRED_COLUMNS)}, and optionally {', '.join(OPTIONAL_COLUMNS)}."
    problems = []
    for name in columns:
        if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            problems.append({"line": 1, "message": f"Unknown column '{_shown(name)}'. {expected}"})
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.append({"line": 1, "message": f"Missing column '{name}'. {expected}"})
    duplicates = {name for name in columns if columns.count(name) > 1}
    for name in sorted(duplicates):
        problems.append({"line": 1, "message": f"Column '{_shown(name)}' appears more than once."})
    if problems:
        raise ImportRejected(problems)
    index = {name: columns.index(name) for name in columns}
    check = functools.partial(
        _check_row, result, width=len(columns), index=index, products=products_by_name, today=today
    )
    fast = _FastPath(index, products_by_name, today) if fast_path else None
    seen: dict[tuple, int] = {}
    line = 1
    try:
        for line_number, cells in enumerate(reader, start=2):
            line = line_number
            row = fast.check(cells) if fast else None
            if row is None:
                if not cells or all(not cell.strip() for cell in cells):
                    continue  # blank lines are harmless
                row = check(line, cells)
            result.rows_total += 1
            if progress and result.rows_total % 50_000 == 0:
                progress(result.rows_total)
            if row is None:
                continue
            key = (row[0], row[1], row[3], row[4])
            first = seen.setdefault(key, line)
            if first != line:
                result.error(
                    line,
                    f"Repeats line {first}: the same product, date, site and department.",
                )
                continue
            result.rows.append(row)
    except csv.Error as error:
        result.error(line, f"Could not be read as CSV: {error}.")
    if result.rows_total == 0 and not result.error_count:
        raise _file_error("The file has a header row but no data rows.")
    return result


def _check_row(
    result: ParsedFile,
    line: int,
    cells: list[str],
    *,
    width: int,
    index: dict[str, int],
    products: dict[str, int],
    today: date,
) -> tuple[int, date, int, str, str] | None:
    """Check one row in full: the row to write, or None after recording each of its problems."""
    if len(cells) != width:
        result.error(line, f"Expected {width} values, found {len(cells)}.")
        return None
    row_ok = True
    values = {name: cells[i].strip() for name, i in index.items()}
    for name in ("product", "site", "department"):
        value = cells[index[name]] if name in index else ""
        if value.startswith(FORMULA_PREFIXES):
            result.error(
                line,
                f"{name.capitalize()} '{_shown(value)}' starts with '{value[0]!s}', which "
                "spreadsheets run as a formula. Remove that character.",
            )
            row_ok = False
        elif has_control_characters(value):
            result.error(
                line,
                f"{name.capitalize()} '{_shown(value)}' contains a line break or a hidden "
                "control character. Remove it.",
            )
            row_ok = False
    for name, limit in TEXT_LIMITS.items():
        if len(values.get(name, "")) > limit:
            result.error(line, f"{name.capitalize()} must be {limit} characters or fewer.")
            row_ok = False
    day = parse_date(values["date"])
    if not values["date"]:
        result.error(line, "Date is missing.")
        row_ok = False
    elif day is None:
        result.error(
            line,
            f"Date '{_shown(values['date'])}' is not a real date. Use YYYY-MM-DD, like "
            "2025-03-31, or DD/MM/YYYY.",
        )
        row_ok = False
    elif day > today:
        result.error(line, f"Date {day:%d/%m/%Y} is in the future.")
        row_ok = False
    elif day < EARLIEST_DATE:
        result.error(
            line,
            f"Date {day:%d/%m/%Y} is before {long_date(EARLIEST_DATE)}. Check the year.",
        )
        row_ok = False
    product_id = None
    if not values["product"]:
        result.error(line, "Product is missing.")
        row_ok = False
    elif not values["product"].startswith(FORMULA_PREFIXES):
        product_id = products.get(values["product"].casefold())
        if product_id is None:
            result.error(
                line,
                f"Product '{_shown(values['product'])}' is not in this trust's catalogue. "
                "Check the spelling or add the product first.",
            )
            row_ok = False
    raw_users = values["active_users"]
    users = None
    try:
        users = int(raw_users)
    except ValueError:
        result.error(
            line,
            f"Active users must be a whole number, not '{_shown(raw_users)}'."
            if raw_users
            else "Active users is missing.",
        )
        row_ok = False
    else:
        if users < 0:
            result.error(line, f"Active users must be 0 or more, not {users}.")
            row_ok = False
        elif users > MAX_ACTIVE_USERS:
            result.error(line, f"Active users must be {MAX_ACTIVE_USERS:,} or fewer.")
            row_ok = False
    if not row_ok:
        return None
    return (product_id, day, users, values.get("site", ""), values.get("department", ""))


class _FastPath:
    """Accept, cheaply, a row that :func:`_check_row` would accept, with the same result.

    Each distinct date, product and site or department text is checked once, by the full rules
    (a file of 1 M rows holds a few hundred of each), and remembered; active users must be plain
    ASCII digits. Anything unproven (a wrong number of values, a value seen for the first time
    that fails, a sign or a space in the number) returns None and gets the full check.
    """

    def __init__(self, index: dict[str, int], products: dict[str, int], today: date):
        self.width = len(index)
        self.at = [index.get(name) for name in COLUMNS]
        self.products = products
        self.today = today
        self.dates: dict[str, date | None] = {}
        self.names: dict[str, int | None] = {}
        self.texts: dict[str, str | None] = {"": ""}

    def check(self, cells: list[str]) -> tuple[int, date, int, str, str] | None:
        if len(cells) != self.width:
            return None
        at_date, at_product, at_users, at_site, at_department = self.at
        raw = cells[at_date]
        day = self.dates.get(raw, False)
        if day is False:
            day = self.dates[raw] = self._date(raw)
        raw = cells[at_product]
        product = self.names.get(raw, False)
        if product is False:
            product = self.names[raw] = self._product(raw)
        users = cells[at_users]
        if day is None or product is None or not (users.isascii() and users.isdigit()):
            return None
        users = int(users)
        if users > MAX_ACTIVE_USERS:
            return None
        site = self._text(cells[at_site], "site") if at_site is not None else ""
        department = (
            self._text(cells[at_department], "department") if at_department is not None else ""
        )
        if site is None or department is None:
            return None
        return (product, day, users, site, department)

    def _date(self, raw: str) -> date | None:
        day = parse_date(raw.strip())
        return day if day is not None and EARLIEST_DATE <= day <= self.today else None

    def _product(self, raw: str) -> int | None:
        name = raw.strip()
        if not name or raw.startswith(FORMULA_PREFIXES) or has_control_characters(raw):
            return None
        return self.products.get(name.casefold())

    def _text(self, raw: str, name: str) -> str | None:
        text = self.texts.get(raw, False)
        if text is False:
            text = raw.strip()
            if (
                raw.startswith(FORMULA_PREFIXES)
                or has_control_characters(raw)
                or len(text) > TEXT_LIMITS[name]
            ):
                text = None
            self.texts[raw] = text
        return text


def usage_import_process(import_id: int) -> None:
    """Validate the whole file, then write every row or none. Safe to run twice.

    Runs inside the import's tenant scope (the view's, or the task base's). Ends ``succeeded`` or
    ``failed``, whatever goes wrong: the database being busy (a deadlock, a serialisation failure,
    a dropped connection) is retried ``len(RETRY_DELAYS_SECONDS)`` times first. Only a process
    that dies leaves it ``processing``, and the sweep (:func:`usage_imports_requeue_stuck`) then
    runs it again.
    """
    record = _claim(import_id)
    if record is None:
        return
    # Every write of this run is fenced on its attempt: once replaced, it changes nothing.
    this_run = UsageImport.objects.filter(
        pk=import_id, status=ImportStatus.PROCESSING, attempts=record.attempts
    )
    for delay in (*RETRY_DELAYS_SECONDS, None):
        try:
            parsed, written = _import_once(record, this_run)
        except _Superseded:
            logger.info("Usage import %s: a newer run took over; this one stops.", import_id)
            return
        except ImportRejected as rejected:
            _finish(
                this_run,
                record,
                status=ImportStatus.FAILED,
                errors=rejected.errors,
                error_count=rejected.error_count,
                rows_total=rejected.rows_total,
            )
            return
        except TRANSIENT_DATABASE_ERRORS:
            if delay is None:
                logger.exception(
                    "Usage import %s: the database kept failing; giving up.", import_id
                )
                _finish(this_run, record, status=ImportStatus.FAILED, failure_reason=REASON_BUSY)
                return
            logger.warning(
                "Usage import %s: transient database error; retrying in %s s.",
                import_id,
                delay,
                exc_info=True,
            )
            _reset_connection()
            time.sleep(delay)
        except Exception as error:
            logger.exception("Usage import %s failed.", import_id)
            _finish(
                this_run,
                record,
                status=ImportStatus.FAILED,
                failure_reason=_reason_for(error),
                file_gone=isinstance(error, FileNotFoundError),
            )
            return
        else:
            break
    # The rows are committed: from here on nothing may turn the import into a failure.
    _finish(
        this_run,
        record,
        status=ImportStatus.SUCCEEDED,
        rows_total=parsed.rows_total,
        rows_processed=parsed.rows_total,
        rows_imported=written,
    )
    if parsed.rows:
        days = [row[1] for row in parsed.rows]
        for receiver, error in portfolio_changed.send_robust(
            sender=UsageImport,
            organisation_id=record.organisation_id,
            months=months_between(min(days), max(days)),
        ):
            if isinstance(error, Exception):
                logger.error("Usage import %s: %r failed.", import_id, receiver, exc_info=error)


class _Superseded(Exception):
    """A newer run owns the import (a second delivery, or the sweep requeued it)."""


def _claim(import_id: int) -> UsageImport | None:
    """Start a run of a pending or processing import; None if it has finished.

    A second delivery of the task (the outbox relay re-sends what a killed worker never
    finished) takes over a processing import: the older run, if it is still going, stops at its
    next step, and writing the same rows twice, even at once, changes nothing.
    """
    with transaction.atomic():
        record = UsageImport.objects.select_for_update().filter(pk=import_id).first()
        if record is None:
            return None
        if record.status not in {ImportStatus.PENDING, ImportStatus.PROCESSING}:
            return None  # finished: running it again changes nothing
        now = timezone.now()
        record.status = ImportStatus.PROCESSING
        record.attempts += 1
        record.progress_at = now
        record.rows_processed = 0
        record.save(update_fields=["status", "attempts", "progress_at", "rows_processed"])
    return record


def _import_once(record: UsageImport, this_run) -> tuple[ParsedFile, int]:
    def progress(**fields):
        if not this_run.update(progress_at=timezone.now(), **fields):
            raise _Superseded

    progress(rows_processed=0)
    if not record.file.name:
        raise FileNotFoundError(record.file.name)
    with record.file.storage.open(record.file.name, "rb") as handle:
        raw = handle.read(MAX_API_BYTES + 1)
    parsed = parse(
        decode(raw),
        products_by_name(),
        timezone.localdate(),
        progress=lambda done: progress(rows_processed=done),
    )
    del raw
    if parsed.error_count:
        raise ImportRejected(parsed.errors, parsed.error_count, parsed.rows_total)
    progress(rows_total=parsed.rows_total, rows_processed=parsed.rows_total)
    return parsed, write_rows(record.organisation_id, parsed.rows)


def _finish(this_run, record: UsageImport, *, status: str, file_gone=False, **fields) -> None:
    """End this run. A file that cannot help any more (imported, or its rows have problems) is
    deleted; one that failed for another reason is kept for "Try again" (the sweep deletes it
    after ``KEEP_FAILED_FILES``)."""
    values = {
        "rows_imported": 0,
        "errors": [],
        "error_count": 0,
        "failure_reason": "",
        **fields,
        "status": status,
        "finished_at": timezone.now(),
        "progress_at": timezone.now(),
    }
    if file_gone:
        values["file"] = ""
    try:
        ended = this_run.update(**values)
    except Exception:  # the database is away: the import stays processing and the sweep retries it
        logger.exception("Usage import %s: could not record that it ended.", record.pk)
        return
    if ended and not values["failure_reason"] and record.file.name:
        usage_import_file_delete(record.pk, record.file.name)


def _reason_for(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return REASON_FILE_MISSING
    if isinstance(error, OSError):
        return REASON_FILE_UNREADABLE
    return REASON_UNEXPECTED


def _reset_connection() -> None:
    """After a database error, reconnect for the next try (unless a caller's transaction is open)."""
    if not connection.in_atomic_block:
        connection.close()


def usage_import_file_delete(import_id: int, name: str) -> bool:
    """Delete an import's stored CSV and forget its name. False if the storage refused."""
    try:
        UsageImport._meta.get_field("file").storage.delete(name)
    except OSError:
        logger.exception(
            "Usage import %s: could not delete %s; the sweep tries again.", import_id, name
        )
        return False
    UsageImport.objects.filter(pk=import_id, file=name).update(file="")
    return True


def usage_imports_requeue_stuck(requeue: Callable[[int, int], None]) -> dict:
    """Imports whose progress stopped ``STUCK_AFTER`` ago (a worker killed, a message lost) go
    back to pending, and ``requeue(organisation_id, import_id)`` is called in the same
    transaction (the task uses ``enqueue_on_commit``). After ``MAX_ATTEMPTS`` runs that all
    stopped, the import fails instead (its file is kept for "Try again").

    Runs in the caller's scope: the sweep task calls it for the whole database. One import that
    cannot be requeued is logged and named; the others still are.
    """
    now = timezone.now()
    stuck = UsageImport.objects.filter(
        status__in=[ImportStatus.PENDING, ImportStatus.PROCESSING],
        progress_at__lt=now - STUCK_AFTER,
    )
    found = list(stuck.values_list("pk", "organisation_id", "attempts"))

    @transaction.atomic
    def give_up(item) -> bool:
        return bool(
            stuck.filter(pk=item[0]).update(
                status=ImportStatus.FAILED,
                failure_reason=REASON_INTERRUPTED,
                finished_at=now,
                progress_at=now,
            )
        )

    @transaction.atomic
    def send_again(item) -> bool:
        if not stuck.filter(pk=item[0]).update(status=ImportStatus.PENDING, progress_at=now):
            return False  # it moved since
        requeue(item[1], item[0])
        return True

    def key(item) -> str:
        return f"usage import {item[0]}"

    given_up = run_isolated(
        "usage imports given up", [i for i in found if i[2] >= MAX_ATTEMPTS], give_up, key=key
    )
    requeued = run_isolated(
        "usage imports requeued", [i for i in found if i[2] < MAX_ATTEMPTS], send_again, key=key
    )
    return {
        "requeued": requeued.done,
        "given_up": given_up.done,
        "failed": given_up.failed + requeued.failed,
    }


def usage_import_files_delete_finished() -> BatchReport:
    """Delete the files no run will read again: imported, rejected for their rows, or failed
    more than ``KEEP_FAILED_FILES`` ago. Runs in the caller's scope (the sweep: every trust)."""
    done = UsageImport.objects.exclude(file="").filter(
        Q(status=ImportStatus.SUCCEEDED)
        | Q(status=ImportStatus.FAILED, failure_reason="")
        | Q(status=ImportStatus.FAILED, finished_at__lt=timezone.now() - KEEP_FAILED_FILES)
    )
    return run_isolated(
        "usage import files",
        list(done.values_list("pk", "file")),
        lambda item: usage_import_file_delete(*item),
        key=lambda item: f"usage import {item[0]}",
    )


def usage_import_orphan_files_delete() -> int:
    """Delete uploads kept in the database (UPLOAD_STORAGE=database) that no import names.
    Whole-database: call it inside ``scopes_disabled`` (the sweep). Returns how many."""
    named = UsageImport.objects.exclude(file="").values("file")
    orphans = StoredFile.objects.filter(
        name__startswith=f"{UsageImport._meta.get_field('file').upload_to.split('/')[0]}/",
        created_at__lt=timezone.now() - ORPHAN_FILES_AFTER,
    ).exclude(name__in=named)
    return orphans.delete()[1].get(StoredFile._meta.label, 0)


def products_by_name() -> dict[str, int]:
    """Names of the products in the current tenant scope, case-folded."""
    return {name.casefold(): pk for pk, name in Product.objects.values_list("pk", "name")}


@transaction.atomic
def write_rows(organisation_id: int, rows: list[tuple[int, date, int, str, str]]) -> int:
    """Upsert all rows in one transaction: all or nothing, and safe to repeat.

    Rows are written in the order of the unique key (product, date, site, department), so two
    imports of the same rows, in whatever order their files list them, lock them in the same
    order and cannot deadlock.
    """
    if not rows:
        return 0
    rows = sorted(rows, key=_UNIQUE_KEY)
    if connection.vendor == "postgresql":
        return _write_rows_postgresql(organisation_id, rows)
    batch = [
        UsageRecord(
            organisation_id=organisation_id,
            product_id=product_id,
            date=day,
            active_users=users,
            site=site,
            department=department,
        )
        for product_id, day, users, site, department in rows
    ]
    UsageRecord.objects.bulk_create(
        batch,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["product", "date", "site", "department"],
        update_fields=["active_users"],
    )
    return len(rows)


def _write_rows_postgresql(organisation_id: int, rows) -> int:
    table = UsageRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '120s'")
        # ON COMMIT DROP alone is not enough when an outer transaction is still open.
        cursor.execute("DROP TABLE IF EXISTS usage_import_rows")
        cursor.execute(
            "CREATE TEMP TABLE usage_import_rows (product_id bigint, date date, active_users integer, "
            "site varchar(100), department varchar(100)) ON COMMIT DROP"
        )
        # Pre-formatted COPY text is several times faster than adapting 1 M rows one by one.
        with cursor.cursor.copy(
            "COPY usage_import_rows (product_id, date, active_users, site, department) FROM STDIN"
        ) as copy:
            chunk = []
            for product_id, day, users, site, department in rows:
                chunk.append(
                    f"{product_id}\t{day.isoformat()}\t{users}\t{_copy_text(site)}\t{_copy_text(department)}\n"
                )
                if len(chunk) >= 20_000:
                    copy.write("".join(chunk))
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
        # Rows are upserted (and locked) in the order they were copied, which is key order: a
        # temporary table has no index, no parallel scan and no synchronized scan (its buffers
        # are local), so its sequential scan returns rows as COPY wrote them. An ORDER BY here
        # would say the same at ~40 % of the write's time. A row whose figure has not changed
        # is left alone: a repeated import (a nightly feed sends the last week again) then costs
        # index lookups, not a new version of every row (16 s → 2.6 s for 1 M rows).
        cursor.execute(
            f"""
            INSERT INTO {table} (organisation_id, product_id, date, active_users, site, department)
            SELECT %s, product_id, date, active_users, site, department FROM usage_import_rows
            ON CONFLICT (product_id, date, site, department)
            DO UPDATE SET active_users = EXCLUDED.active_users
            WHERE {table}.active_users IS DISTINCT FROM EXCLUDED.active_users
            """,  # noqa: S608 - table name from model meta, values parameterised
            [organisation_id],
        )
        cursor.execute("DROP TABLE usage_import_rows")
    return len(rows)


_UNIQUE_KEY = operator.itemgetter(0, 1, 3, 4)  # (product_id, day, users, site, department)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """Escape a value for PostgreSQL's COPY text format."""
    return value.translate(_COPY_ESCAPES) if value else value
