"""Usage ingestion through the API: JSON or CSV bodies, 202 and a job, the CSV import's rules."""

import json
from datetime import date, timedelta

import pytest
from django.core.files.storage import FileSystemStorage

from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from portfolio import usage_import
from portfolio.models import UsageImport, UsageRecord
from portfolio.services import INLINE_IMPORT_BYTES
from tests.apiclient import PROBLEM, api, make_token
from tests.factories import MembershipFactory, ProductFactory

URL = "/api/v1/usage-imports/"


@pytest.fixture
def trust(db):
    trust = MembershipFactory(role=Role.ORG_ADMIN).organisation
    ProductFactory(organisation=trust, name="Meridian EPR")
    ProductFactory(organisation=trust, name="MedChart EPMA")
    return trust


@pytest.fixture
def client(trust):
    return api(make_token(trust, Role.PRODUCT_MANAGER)[1])


def send_json(client, rows):
    return client.post(URL, json.dumps(rows), content_type="application/json")


def send_csv(client, text):
    return client.post(URL, text, content_type="text/csv")


def stored(trust):
    with scope(organisation=trust):
        return sorted(
            UsageRecord.objects.values_list("product__name", "date", "active_users", "site")
        )


def jobs(trust) -> int:
    with scopes_disabled():
        return UsageImport.unscoped.filter(organisation=trust).count()


YESTERDAY = date.today() - timedelta(days=1)
DAY = YESTERDAY.isoformat()


def test_a_days_rows_as_json_are_accepted_and_sending_them_again_changes_nothing(trust, client):
    rows = [
        {"date": DAY, "product": "Meridian EPR", "active_users": 120, "site": "North"},
        {"date": DAY, "product": "meridian epr", "active_users": 80, "site": "South"},
        {"date": DAY, "product": "MedChart EPMA", "active_users": "45"},
    ]
    response = send_json(client, rows)
    assert response.status_code == 202, response.content
    job = response.json()
    assert response["Location"] == job["url"] == f"{URL}{job['id']}/"
    assert job["format"] == "json"
    assert job["status"] == "succeeded"  # small: done during the request
    assert (job["rows_total"], job["rows_imported"], job["error_count"]) == (3, 3, 0)
    first = stored(trust)
    assert first == [
        ("MedChart EPMA", YESTERDAY, 45, ""),
        ("Meridian EPR", YESTERDAY, 80, "South"),
        ("Meridian EPR", YESTERDAY, 120, "North"),
    ]
    # The same key again (product, date, site, department): updated in place, never doubled.
    rows[0]["active_users"] = 121
    again = send_json(client, rows)
    assert again.status_code == 202 and again.json()["status"] == "succeeded"
    assert len(stored(trust)) == 3
    assert ("Meridian EPR", YESTERDAY, 121, "North") in stored(trust)
    assert client.get(job["url"]).json() == {**job, "url": job["url"]}


def test_a_csv_body_uses_the_csv_import_layout(trust, client):
    response = send_csv(client, f"product,date,active_users\nMeridian EPR,{DAY},9\n")
    assert response.status_code == 202, response.content
    assert response.json()["format"] == "csv"
    assert response.json()["status"] == "succeeded"
    assert stored(trust) == [("Meridian EPR", YESTERDAY, 9, "")]


def test_bad_rows_fail_the_job_with_problems_by_row_and_nothing_is_written(trust, client):
    future = (date.today() + timedelta(days=3)).isoformat()
    rows = [
        {"date": DAY, "product": "Meridian EPR", "active_users": 1},
        {"date": future, "product": "Meridian EPR", "active_users": 1},
        {"date": DAY, "product": "Unknown thing", "active_users": 1},
        {"date": DAY, "product": "Meridian EPR", "active_users": -4},
        {"date": DAY, "product": "Meridian EPR", "active_users": 1},
        {"date": "31/02/2025", "product": "=cmd()", "active_users": None},
    ]
    job = send_json(client, rows).json()
    assert job["status"] == "failed"
    by_row = [(e["row"], e["message"].split(" ")[0]) for e in job["errors"]]
    assert by_row == [
        (2, "Date"),
        (3, "Product"),
        (4, "Active"),
        (5, "Repeats"),
        (6, "Product"),
        (6, "Date"),
        (6, "Active"),
    ]
    assert job["errors"][3]["message"].startswith("Repeats row 1:")
    assert job["error_count"] == 7 and job["rows_imported"] == 0
    assert stored(trust) == []
    csv_job = send_csv(client, f"date,product,active_users\n{DAY},Meridian EPR,lots\n").json()
    assert csv_job["errors"] == [
        {"row": None, "line": 2, "message": "Active users must be a whole number, not 'lots'."}
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"date": DAY}, "Send a JSON array of rows"),
        ([], "The array has no rows."),
        ([1, 2], "Row 1: Each row must be a JSON object."),
        ([{"date": DAY, "colour": "red"}], "Row 1: Unknown field 'colour'."),
        ([{"date": DAY, "product": {"name": "x"}}], "Row 1: product must be a string"),
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400_and_makes_no_job(trust, client, body, message):
    response = send_json(client, body)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["message"].startswith(message)
    assert jobs(trust) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"", "application/json", 400),
        (b"{not json", "application/json", 400),
        (b"[" * 100_000, "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"date,product,active_users\n", "text/plain", 415),
        (b"<xml/>", "application/xml", 415),
    ],
)
def test_unreadable_bodies_are_problems_not_500s(trust, client, body, content_type, code):
    response = client.post(URL, body, content_type=content_type)
    assert response.status_code == code, response.content
    assert response["Content-Type"] == PROBLEM
    assert jobs(trust) == 0


def test_more_rows_or_bytes_than_allowed_is_a_413(trust, client, monkeypatch):
    assert usage_import.MAX_API_ROWS == 1_000_000
    monkeypatch.setattr(usage_import, "MAX_API_ROWS", 3)
    row = {"date": DAY, "product": "Meridian EPR", "active_users": 1}
    assert send_json(client, [row] * 4).status_code == 413
    assert send_csv(client, "date,product,active_users\n" + f"{DAY},x,1\n" * 4).status_code == 413
    assert send_json(client, [row] * 3).status_code == 202  # the limit itself is allowed
    monkeypatch.setattr(usage_import, "MAX_API_BYTES", 100)
    response = send_csv(client, "date,product,active_users\n" + f"{DAY},x,1\n" * 10)
    assert response.status_code == 413
    assert response.json()["title"].startswith("Send at most 3 rows")
    assert jobs(trust) == 1


def test_a_large_body_becomes_a_job_for_the_worker_that_reports_progress(
    trust, client, django_capture_on_commit_callbacks
):
    rows, n = [], 0
    while len(json.dumps(rows)) <= INLINE_IMPORT_BYTES * 4:  # its CSV is under half the size
        rows.append(
            {
                "date": (YESTERDAY - timedelta(days=n // 50)).isoformat(),
                "product": "Meridian EPR",
                "active_users": n,
                "site": f"Site {n % 50}",
            }
        )
        n += 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = send_json(client, rows)
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "pending"  # not done in the request: the worker does it
    assert client.get(job["url"]).json()["status"] == "pending"
    for callback in callbacks:
        callback()
    done = client.get(job["url"]).json()
    assert done["status"] == "succeeded", done["errors"]
    assert done["rows_total"] == done["rows_processed"] == done["rows_imported"] == len(rows)
    assert len(stored(trust)) == len(rows)


def test_a_storage_failure_is_a_503_with_retry_after_and_nothing_is_kept(
    trust, client, monkeypatch
):
    def full_disk(self, name, content, max_length=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(
        UsageImport._meta.get_field("file"), "storage", FileSystemStorage(location="/nonexistent")
    )
    monkeypatch.setattr(FileSystemStorage, "save", full_disk)
    response = send_json(client, [{"date": DAY, "product": "Meridian EPR", "active_users": 1}])
    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM
    assert response["Retry-After"] == "60"
    assert jobs(trust) == 0


@pytest.mark.parametrize(
    ("role", "read_only", "code"),
    [
        (Role.ORG_ADMIN, False, 202),
        (Role.PRODUCT_MANAGER, True, 403),
        (Role.VIEWER, False, 403),
        (Role.CONTRIBUTOR, False, 403),
        (Role.CLINICAL_SAFETY_OFFICER, False, 403),
    ],
)
def test_only_roles_that_may_import_usage_may_send_it(trust, role, read_only, code):
    client = api(make_token(trust, role, read_only=read_only)[1])
    response = send_json(client, [{"date": DAY, "product": "Meridian EPR", "active_users": 1}])
    assert response.status_code == code


def test_jobs_are_listed_newest_first(trust, client):
    for users in (1, 2):
        send_json(client, [{"date": DAY, "product": "Meridian EPR", "active_users": users}])
    listed = client.get(URL).json()["results"]
    assert [job["rows_imported"] for job in listed] == [1, 1]
    assert listed[0]["id"] > listed[1]["id"]
