"""CSV usage import: precise messages per problem, nothing written on failure, idempotent."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from accounts.scoping import scope, scopes_disabled
from portfolio import usage_import
from portfolio.models import ImportStatus, UsageImport, UsageRecord
from portfolio.services import INLINE_IMPORT_BYTES, usage_import_start
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trust(trust):
    """The shared trust, with two products in its catalogue."""
    ProductFactory(organisation=trust, name="Meridian EPR")
    ProductFactory(organisation=trust, name="MedChart EPMA")
    return trust


def run_import(trust, content: bytes | str, name="usage.csv") -> UsageImport:
    if isinstance(content, str):
        content = content.encode()
    upload = SimpleUploadedFile(name, content, content_type="text/csv")
    user = UserFactory()
    with scope(organisation=trust):  # as the upload view does
        record = usage_import_start(organisation=trust, uploaded_file=upload, user=user)
    record.refresh_from_db()
    return record


def messages(record):
    return [(e["line"], e["message"]) for e in record.errors]


def usage_rows():
    with scopes_disabled():
        return sorted(
            UsageRecord.objects.values_list(
                "product__name", "date", "active_users", "site", "department"
            )
        )


GOOD = (
    "date,product,active_users,site,department\n"
    "2025-03-01,Meridian EPR,1200,Main hospital,ED\n"
    "02/03/2025,meridian epr,1180,Main hospital,ED\n"
    "2025-03-01,MedChart EPMA,300,,\n"
)


def test_a_good_file_imports_every_row(trust):
    record = run_import(trust, GOOD)
    assert record.status == ImportStatus.SUCCEEDED
    assert record.rows_imported == 3
    assert usage_rows() == [
        ("MedChart EPMA", date(2025, 3, 1), 300, "", ""),
        ("Meridian EPR", date(2025, 3, 1), 1200, "Main hospital", "ED"),
        ("Meridian EPR", date(2025, 3, 2), 1180, "Main hospital", "ED"),
    ]


def test_reimporting_the_same_rows_updates_instead_of_duplicating(trust):
    run_import(trust, GOOD)
    record = run_import(trust, GOOD.replace("1200", "1250"))
    assert record.status == ImportStatus.SUCCEEDED
    rows = usage_rows()
    assert len(rows) == 3
    assert ("Meridian EPR", date(2025, 3, 1), 1250, "Main hospital", "ED") in rows


def test_columns_in_any_order_and_case(trust):
    record = run_import(trust, "Active_Users,Product,DATE\n10,Meridian EPR,2025-01-01\n")
    assert record.status == ImportStatus.SUCCEEDED


def test_a_utf8_file_with_a_byte_order_mark_imports(trust):
    record = run_import(trust, "\ufeff" + GOOD)
    assert record.status == ImportStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "when,product,active_users\n2025-01-01,Meridian EPR,1\n",
            [
                (
                    1,
                    "Unknown column 'when'. Columns must be date, product, active_users, and optionally site, department.",
                ),
                (
                    1,
                    "Missing column 'date'. Columns must be date, product, active_users, and optionally site, department.",
                ),
            ],
        ),
        (
            "date,product\n2025-01-01,Meridian EPR\n",
            [
                (
                    1,
                    "Missing column 'active_users'. Columns must be date, product, active_users, and optionally site, department.",
                )
            ],
        ),
        (
            "date,product,active_users\n31/02/2025,Meridian EPR,5\n",
            [
                (
                    2,
                    "Date '31/02/2025' is not a real date. Use YYYY-MM-DD, like 2025-03-31, or DD/MM/YYYY.",
                )
            ],
        ),
        (
            "date,product,active_users\nyesterday,Meridian EPR,5\n",
            [
                (
                    2,
                    "Date 'yesterday' is not a real date. Use YYYY-MM-DD, like 2025-03-31, or DD/MM/YYYY.",
                )
            ],
        ),
        (
            "date,product,active_users\n2999-01-01,Meridian EPR,5\n",
            [(2, "Date 01/01/2999 is in the future.")],
        ),
        (
            "date,product,active_users\n2025-01-01,Meridian EPR,-5\n",
            [(2, "Active users must be 0 or more, not -5.")],
        ),
        (
            "date,product,active_users\n2025-01-01,Meridian EPR,12.5\n",
            [(2, "Active users must be a whole number, not '12.5'.")],
        ),
        (
            "date,product,active_users\n2025-01-01,Meridian EPR,\n",
            [(2, "Active users is missing.")],
        ),
        (
            "date,product,active_users\n2025-01-01,Unknown PAS,5\n",
            [
                (
                    2,
                    "Product 'Unknown PAS' is not in this trust's catalogue. Check the spelling or add the product first.",
                )
            ],
        ),
        (
            "date,product,active_users\n2025-01-01,Meridian EPR,5,extra\n",
            [(2, "Expected 3 values, found 4.")],
        ),
        (
            "date,product,active_users\n2025-01-01,Meridian EPR,5\n2025-01-01,Meridian EPR,6\n",
            [(3, "Repeats line 2: the same product, date, site and department.")],
        ),
        (
            'date,product,active_users,site\n2025-01-01,Meridian EPR,5,=HYPERLINK("http://x")\n',
            [
                (
                    2,
                    "Site '=HYPERLINK(\"http://x\")' starts with '=', which spreadsheets run as a formula. Remove that character.",
                )
            ],
        ),
        (
            "date,product,active_users,department\n2025-01-01,Meridian EPR,5,@SUM(A1)\n",
            [
                (
                    2,
                    "Department '@SUM(A1)' starts with '@', which spreadsheets run as a formula. Remove that character.",
                )
            ],
        ),
        (
            "date,product,active_users\n2025-01-01,+cmd|' /C calc'!A0,5\n",
            [
                (
                    2,
                    "Product '+cmd|' /C calc'!A0' starts with '+', which spreadsheets run as a formula. Remove that character.",
                )
            ],
        ),
        ("date,product,active_users\n", [(None, "The file has a header row but no data rows.")]),
    ],
)
def test_bad_rows_get_a_precise_message_and_nothing_is_written(trust, content, expected):
    run_import(trust, GOOD)
    before = usage_rows()
    record = run_import(trust, content)
    assert record.status == ImportStatus.FAILED
    assert messages(record)[: len(expected)] == expected
    assert usage_rows() == before


def test_one_bad_row_among_good_ones_writes_nothing(trust):
    content = GOOD + "2025-03-03,Meridian EPR,-1,,\n"
    record = run_import(trust, content)
    assert record.status == ImportStatus.FAILED
    assert messages(record) == [(5, "Active users must be 0 or more, not -1.")]
    assert usage_rows() == []


def test_a_file_over_the_size_limit_is_rejected_before_parsing(
    trust, django_capture_on_commit_callbacks, monkeypatch
):
    assert usage_import.MAX_API_BYTES == 200 * 1024 * 1024
    monkeypatch.setattr(usage_import, "MAX_API_BYTES", 3 * 1024 * 1024)  # 200 MB, made small
    with django_capture_on_commit_callbacks(execute=True):
        record = run_import(
            trust, GOOD.encode() + b"2025-01-01,Meridian EPR,1,,\n" * (3 * 1024 * 1024 // 28)
        )
    record.refresh_from_db()
    assert messages(record) == [
        (None, "The file must be smaller than 3 MB. Split it into several files by date.")
    ]
    assert usage_rows() == []


def test_a_zero_byte_file_is_rejected(trust):
    record = run_import(trust, b"")
    assert messages(record) == [
        (None, "The file is empty. Choose a CSV file with a header row and data rows.")
    ]


def test_a_non_utf8_file_is_rejected_with_its_line(trust):
    content = GOOD.encode() + "2025-03-04,Meridian EPR,5,Café,\n".encode("latin-1")
    record = run_import(trust, content)
    assert messages(record) == [
        (
            5,
            "The file is not UTF-8 text. In your spreadsheet, save it as 'CSV UTF-8' and upload it again.",
        )
    ]
    assert usage_rows() == []


def test_a_file_with_nul_bytes_is_rejected(trust):
    record = run_import(trust, GOOD + "2025-03-04,Meridian\x00EPR,5,,\n")
    assert messages(record) == [
        (5, "The file contains a NUL character, so it is not a CSV text file.")
    ]


def test_another_trusts_product_is_unknown_here(trust):
    ProductFactory(name="Their Portal")  # another trust's product
    record = run_import(trust, "date,product,active_users\n2025-01-01,Their Portal,5\n")
    assert record.status == ImportStatus.FAILED
    assert "is not in this trust's catalogue" in messages(record)[0][1]


def test_errors_are_capped_but_counted(trust):
    rows = "".join(f"2025-01-01,Nope {i},5\n" for i in range(800))
    record = run_import(trust, "date,product,active_users\n" + rows)
    assert record.error_count == 800
    assert len(record.errors) == 500


def test_a_large_file_goes_to_the_worker_and_finishes(trust, django_capture_on_commit_callbacks):
    lines = ["date,product,active_users,site"]
    day = 0
    while sum(len(line) + 1 for line in lines) <= INLINE_IMPORT_BYTES:
        lines.append(
            f"{date.fromordinal(738000 + day // 20).isoformat()},Meridian EPR,{day},Site {day % 20}"
        )
        day += 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record = run_import(trust, "\n".join(lines) + "\n")
        assert record.status == ImportStatus.PENDING  # not done in the request
    assert len(callbacks) == 2  # the import itself, then the summary refresh it asks for
    record.refresh_from_db()
    assert record.status == ImportStatus.SUCCEEDED
    assert record.rows_imported == day
    with scope(organisation=trust):
        assert UsageRecord.objects.count() == day


def test_awkward_text_survives_the_bulk_write(trust):
    content = (
        "date,product,active_users,site,department\n"
        '2025-01-01,Meridian EPR,5,"Ward\\7, ""North""",A\\tB\n'
        "2025-01-02,Meridian EPR,6,Café ☕,\n"
    )
    record = run_import(trust, content)
    assert record.status == ImportStatus.SUCCEEDED, record.errors
    sites = {row[3] for row in usage_rows()}
    departments = {row[4] for row in usage_rows()}
    assert sites == {'Ward\\7, "North"', "Café ☕"}
    assert departments == {"A\\tB", ""}


@pytest.mark.parametrize(
    ("cell", "column"),
    [("Ward\t7", "site"), ("A\rB", "department"), ("Ward\u202e7", "site"), ("W\x0b", "site")],
)
def test_control_characters_in_text_columns_are_refused(trust, cell, column):
    site, department = (cell, "") if column == "site" else ("", cell)
    content = f'date,product,active_users,site,department\n2025-01-01,Meridian EPR,5,"{site}","{department}"\n'
    record = run_import(trust, content)
    assert record.status == ImportStatus.FAILED
    assert "hidden control character" in record.errors[0]["message"]
    assert usage_rows() == []


def test_dates_before_1990_are_refused_with_the_line(trust):
    record = run_import(trust, "date,product,active_users\n0001-01-01,Meridian EPR,5\n")
    assert record.status == ImportStatus.FAILED
    assert record.errors[0]["line"] == 2
    assert "before 1 January 1990" in record.errors[0]["message"]


@pytest.mark.parametrize("mismatch", ["other_trusts_product", "no_such_product"])
def test_the_database_refuses_a_usage_row_whose_product_is_not_its_trusts(
    trust, other_trust, mismatch
):
    """One key (migration 0008) proves both that the product exists and that it is the row's
    own trust's: a row naming trust A and trust B's product cannot be committed."""
    if connection.vendor != "postgresql":
        pytest.skip("the key exists on PostgreSQL only")  # CI runs PostgreSQL: never skipped there
    foreign = ProductFactory(organisation=other_trust, name="Elsewhere EPR")
    product_id = foreign.pk if mismatch == "other_trusts_product" else foreign.pk + 10_000
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "INSERT INTO portfolio_usagerecord "
            "(organisation_id, product_id, date, active_users, site, department) "
            "VALUES (%s, %s, '2025-03-01', 1, '', '')",
            [trust.pk, product_id],
        )
