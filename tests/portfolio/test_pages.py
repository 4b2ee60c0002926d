from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.permissions import Role
from accounts.scoping import scopes_disabled
from portfolio.models import Contract, LicenceModel, ProductChange, UsageImport
from portfolio.selectors import contract_position
from tests.factories import ContractFactory, MembershipFactory, ProductFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def url(name, pm, *args):
    return reverse(name, args=[pm.organisation.ods_code, *args])


# --- Product page figures --------------------------------------------------------------


def _contract(start, end, cost, seats=None, notice=90):
    return Contract(
        start_date=start,
        end_date=end,
        annual_cost=Decimal(cost),
        seats=seats,
        notice_period_days=notice,
    )


def test_position_sums_only_current_contracts_and_finds_the_next_notice_deadline():
    today = date(2026, 6, 1)
    contracts = [
        _contract(date(2023, 1, 1), date(2025, 12, 31), "50000", 100),  # ended
        _contract(date(2026, 1, 1), date(2027, 12, 31), "80000", 400, notice=180),
        _contract(date(2025, 4, 1), date(2026, 9, 30), "20000.50", 50, notice=30),
    ]
    position = contract_position(contracts, None, today)
    assert position.current_annual_spend == Decimal("100000.50")
    assert position.current_seats == 450
    assert position.next_notice_deadline == date(2026, 8, 31)


def test_position_prefers_the_products_licensed_seats_and_skips_passed_deadlines():
    today = date(2026, 6, 1)
    contracts = [_contract(date(2025, 1, 1), date(2026, 7, 1), "1000", 10, notice=90)]
    position = contract_position(contracts, 999, today)
    assert position.current_seats == 999
    assert position.next_notice_deadline is None  # 2 April 2026 has passed


def test_product_page_shows_spend_seats_and_notice_deadline(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    today = timezone.localdate()
    ContractFactory(
        product=product,
        start_date=today - timedelta(days=10),
        end_date=today + timedelta(days=400),
        annual_cost=Decimal("123456.78"),
        seats=2500,
        notice_period_days=100,
    )
    page = pm_client.get(url("portfolio:product_detail", pm, product.pk)).content.decode()
    assert "£123,456.78" in page
    assert "2,500" in page
    assert (today + timedelta(days=300)).strftime("%-d %B %Y") in page


# --- Edit, history, archive ------------------------------------------------------------


def test_editing_a_product_records_who_changed_what(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation, name="Old name", licensed_seats=10)
    data = {
        "name": "New name",
        "capability": "epr",
        "lifecycle_stage": "sunsetting",
        "licensed_seats": "20",
        "time_decision": "migrate",
        "time_rationale": "Costly",
    }
    assert pm_client.post(url("portfolio:product_update", pm, product.pk), data).status_code == 302
    with scopes_disabled():
        change = ProductChange.objects.get(summary="Product details changed")
    assert change.changed_by == pm.user
    assert change.changes["Name"] == ["Old name", "New name"]
    assert change.changes["Lifecycle stage"] == ["Live", "Sunsetting"]
    assert change.changes["Licensed seats"] == ["10", "20"]
    history = pm_client.get(url("portfolio:product_history", pm, product.pk)).content.decode()
    assert "Old name → New name" in history


def test_a_time_decision_needs_a_rationale(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    data = {
        "name": product.name,
        "capability": "epr",
        "lifecycle_stage": "live",
        "time_decision": "eliminate",
    }
    response = pm_client.post(url("portfolio:product_update", pm, product.pk), data)
    assert response.status_code == 400
    assert "Enter the reason for the TIME decision" in response.content.decode()


def test_a_safety_officer_must_hold_that_role_in_this_trust(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    viewer = MembershipFactory(organisation=pm.organisation, role=Role.VIEWER).user
    data = {
        "name": product.name,
        "capability": "epr",
        "lifecycle_stage": "live",
        "clinical_safety_officer": viewer.pk,
    }
    response = pm_client.post(url("portfolio:product_update", pm, product.pk), data)
    assert "Select a clinical safety officer of this trust" in response.content.decode()


def test_a_safety_officer_of_another_trust_is_not_this_trusts_safety_officer(
    pm_client, pm, other_trust
):
    """A viewer here who is a safety officer elsewhere: not offered, and refused if posted."""
    product = ProductFactory(organisation=pm.organisation)
    person = MembershipFactory(organisation=pm.organisation, role=Role.VIEWER).user
    MembershipFactory(organisation=other_trust, user=person, role=Role.CLINICAL_SAFETY_OFFICER)
    page = pm_client.get(url("portfolio:product_update", pm, product.pk)).content.decode()
    assert (
        f'value="{person.pk}"'
        not in page.split('name="clinical_safety_officer"')[1].split("</select>")[0]
    )
    data = {
        "name": product.name,
        "capability": "epr",
        "lifecycle_stage": "live",
        "clinical_safety_officer": person.pk,
    }
    response = pm_client.post(url("portfolio:product_update", pm, product.pk), data)
    assert response.status_code == 400
    assert "Select a clinical safety officer of this trust" in response.content.decode()


def test_a_safety_officer_of_two_trusts_can_be_named_in_each(pm_client, pm, other_trust):
    product = ProductFactory(organisation=pm.organisation)
    officer = MembershipFactory(
        organisation=pm.organisation, role=Role.CLINICAL_SAFETY_OFFICER
    ).user
    MembershipFactory(organisation=other_trust, user=officer, role=Role.CLINICAL_SAFETY_OFFICER)
    form_url = url("portfolio:product_update", pm, product.pk)
    assert pm_client.get(form_url).status_code == 200
    data = {
        "name": product.name,
        "capability": "epr",
        "lifecycle_stage": "live",
        "clinical_safety_officer": officer.pk,
    }
    assert pm_client.post(form_url, data).status_code == 302
    product.refresh_from_db()
    assert product.clinical_safety_officer == officer


def test_archiving_hides_a_product_from_the_list_until_asked(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation, name="Old PAS")
    assert (
        pm_client.post(
            url("portfolio:product_archive", pm, product.pk), {"action": "archive"}
        ).status_code
        == 302
    )
    link = ">Old PAS</a>"
    assert link not in pm_client.get(url("portfolio:product_list", pm)).content.decode()
    assert (
        link in pm_client.get(url("portfolio:product_list", pm) + "?archived=on").content.decode()
    )
    pm_client.post(url("portfolio:product_archive", pm, product.pk), {"action": "restore"})
    assert link in pm_client.get(url("portfolio:product_list", pm)).content.decode()


def test_filters_narrow_the_list_and_ignore_nonsense(pm_client, pm):
    ProductFactory(organisation=pm.organisation, name="Meridian EPR", capability="epr")
    ProductFactory(organisation=pm.organisation, name="Insight BI", capability="reporting")
    page = pm_client.get(
        url("portfolio:product_list", pm) + "?capability=reporting"
    ).content.decode()
    assert "Insight BI" in page and "Meridian EPR" not in page
    page = pm_client.get(
        url("portfolio:product_list", pm) + "?capability=nonsense&supplier=x&q=EPR"
    ).content.decode()
    assert "Meridian EPR" in page and "Insight BI" not in page


def test_filtered_list_query_count_is_constant(pm_client, pm, django_assert_max_num_queries):
    target = url("portfolio:product_list", pm) + "?lifecycle_stage=live&q=P"
    ProductFactory(organisation=pm.organisation)
    with django_assert_max_num_queries(12) as small:
        pm_client.get(target)
    for _ in range(30):
        product = ProductFactory(organisation=pm.organisation, supplier=SupplierFactory())
        ContractFactory(product=product)
    with django_assert_max_num_queries(len(small.captured_queries)):
        pm_client.get(target)


def test_product_page_query_count_is_constant(pm_client, pm, django_assert_max_num_queries):
    product = ProductFactory(organisation=pm.organisation)
    ContractFactory(product=product)
    with django_assert_max_num_queries(20) as small:
        pm_client.get(url("portfolio:product_detail", pm, product.pk))
    for _ in range(20):
        ContractFactory(product=product, supplier=SupplierFactory())
    with django_assert_max_num_queries(len(small.captured_queries)):
        pm_client.get(url("portfolio:product_detail", pm, product.pk))


# --- Contracts ---------------------------------------------------------------------------


def contract_data(**overrides):
    return {
        "supplier": SupplierFactory().pk,
        "start_date": "2026-04-01",
        "end_date": "2029-03-31",
        "annual_cost": "250000.00",
        "licence_model": LicenceModel.PER_USER,
        "seats": "3000",
        "notice_period_days": "180",
        "renewal_status": "not_started",
        **overrides,
    }


def test_adding_a_contract(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    assert (
        pm_client.post(
            url("portfolio:contract_create", pm, product.pk), contract_data()
        ).status_code
        == 302
    )
    with scopes_disabled():
        contract = Contract.objects.get()
    assert contract.organisation == pm.organisation
    assert contract.annual_cost == Decimal("250000.00")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_date": "2025-01-01"}, "End date must be the same as or after the start date"),
        ({"start_date": "2026-02-30"}, "Enter a real date, like 31/03/2026"),
        ({"start_date": ""}, "Enter the start date"),
        ({"annual_cost": "-1"}, "Annual cost must be £0 or more"),
        ({"annual_cost": "12.345"}, "Annual cost can have at most 2 decimal places (pence)"),
        ({"annual_cost": "lots"}, "Annual cost must be an amount in pounds, like 125000.00"),
        ({"seats": "-3"}, "Seats must be 0 or more"),
        ({"notice_period_days": "99999"}, "Notice period must be 3650 days (10 years) or fewer"),
        ({"licence_model": "free"}, "Select a licence model from the list"),
        ({"supplier": "999999"}, "Select a supplier from the list"),
    ],
)
def test_bad_contract_input_shows_an_error_and_saves_nothing(pm_client, pm, overrides, message):
    product = ProductFactory(organisation=pm.organisation)
    response = pm_client.post(
        url("portfolio:contract_create", pm, product.pk), contract_data(**overrides)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    with scopes_disabled():
        assert not Contract.objects.exists()


def test_editing_a_contract_is_recorded_in_history(pm_client, pm):
    contract = ContractFactory(product=ProductFactory(organisation=pm.organisation))
    data = contract_data(supplier=contract.supplier_id, annual_cost="99000.00")
    target = url("portfolio:contract_update", pm, contract.product_id, contract.pk)
    assert pm_client.post(target, data).status_code == 302
    with scopes_disabled():
        change = ProductChange.objects.get(summary="Contract changed")
    assert change.changes["Contract annual cost (£)"] == ["120000.00", "99000.00"]


# --- Usage upload page -----------------------------------------------------------------


def upload(client, pm, name, content):
    return client.post(
        url("portfolio:usage_import_create", pm), {"file": SimpleUploadedFile(name, content)}
    )


def test_uploading_a_good_file_shows_the_result(pm_client, pm):
    ProductFactory(organisation=pm.organisation, name="Meridian EPR")
    response = upload(
        pm_client, pm, "usage.csv", b"date,product,active_users\n2025-01-01,Meridian EPR,5\n"
    )
    assert response.status_code == 302
    page = pm_client.get(response["Location"]).content.decode()
    assert "Usage data imported" in page
    assert "1 rows imported or updated" in page


def test_a_rejected_file_lists_problems_by_line(pm_client, pm):
    response = upload(pm_client, pm, "usage.csv", b"date,product,active_users\n2025-01-01,Nope,5\n")
    page = pm_client.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page
    assert "Product &#x27;Nope&#x27; is not in this trust&#x27;s catalogue" in page


@pytest.mark.parametrize(
    ("name", "content", "message", "status"),
    [
        ("usage.xlsx", b"PK\x03\x04", "The selected file must be a CSV", 400),
        ("usage.csv", b"", "The selected file is empty", 400),
        (
            "usage.csv",
            b"x" * (50 * 1024 * 1024),
            "The selected file must be smaller than 40 MB",
            413,  # refused from Content-Length, unread
        ),
    ],
)
def test_bad_uploads_are_refused_before_anything_is_saved(
    pm_client, pm, name, content, message, status
):
    response = upload(pm_client, pm, name, content)
    assert response.status_code == status
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    with scopes_disabled():
        assert not UsageImport.objects.exists()


def test_viewers_cannot_import_usage(viewer_client, viewer):
    assert viewer_client.get(url("portfolio:usage_import_create", viewer)).status_code == 403


def test_the_template_csv_downloads(pm_client, pm):
    response = pm_client.get(url("portfolio:usage_import_template", pm))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("date,product,active_users")
