from datetime import date

import pytest
from django.urls import reverse

from accounts.scoping import scopes_disabled
from portfolio.models import Contract, Product
from tests.factories import (
    ContractFactory,
    MembershipFactory,
    ProductFactory,
    SupplierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def create_url(membership):
    return reverse("portfolio:product_create", args=[membership.organisation.ods_code])


def valid_data(**overrides):
    return {"name": "Meridian EPR", "capability": "epr", "lifecycle_stage": "live", **overrides}


def test_product_manager_adds_a_product_to_their_trust(pm_client, pm):
    owner = MembershipFactory(organisation=pm.organisation).user
    response = pm_client.post(create_url(pm), valid_data(owner=owner.pk))
    assert response.status_code == 302
    with scopes_disabled():
        product = Product.objects.get()
    assert product.organisation == pm.organisation
    assert product.owner == owner


def test_owner_from_another_trust_is_refused(pm_client, pm):
    outsider = MembershipFactory().user  # a member of a different trust
    response = pm_client.post(create_url(pm), valid_data(owner=outsider.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a product owner who is a member of this trust" in page
    assert "There is a problem" in page
    with scopes_disabled():
        assert not Product.objects.exists()


def test_owner_choices_list_only_members_of_the_trust(pm_client, pm):
    insider = MembershipFactory(organisation=pm.organisation).user
    outsider = UserFactory()
    MembershipFactory(user=outsider)
    page = pm_client.get(create_url(pm)).content.decode()
    assert insider.email in page
    assert outsider.email not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Enter the product name"),
        ({"name": "x" * 201}, "Product name must be 200 characters or fewer"),
        ({"capability": "spaceship"}, "Select a capability from the list"),
        ({"lifecycle_stage": ""}, "Select a lifecycle stage"),
        ({"supplier": "999999"}, "Select a supplier from the list"),
    ],
)
def test_bad_product_input_shows_an_error_and_saves_nothing(pm_client, pm, data, message):
    response = pm_client.post(create_url(pm), valid_data(**data))
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert not Product.objects.exists()


def test_duplicate_name_in_the_same_trust_is_refused(pm_client, pm):
    ProductFactory(organisation=pm.organisation, name="Meridian EPR")
    response = pm_client.post(create_url(pm), valid_data(name="meridian epr"))
    assert "already has a product with this name" in response.content.decode()


def test_same_name_in_another_trust_is_allowed(pm_client, pm):
    ProductFactory(name="Meridian EPR")
    assert pm_client.post(create_url(pm), valid_data()).status_code == 302


def test_contributor_cannot_add_products(contributor_client, contributor):
    assert contributor_client.get(create_url(contributor)).status_code == 403


def test_product_list_shows_only_this_trusts_products(pm_client, pm):
    ProductFactory(organisation=pm.organisation, name="Ours")
    ProductFactory(name="Theirs")
    page = pm_client.get(
        reverse("portfolio:product_list", args=[pm.organisation.ods_code])
    ).content.decode()
    assert "Ours" in page
    assert "Theirs" not in page


def test_product_list_query_count_is_constant(pm_client, pm, django_assert_max_num_queries):
    url = reverse("portfolio:product_list", args=[pm.organisation.ods_code])
    supplier = SupplierFactory()
    ProductFactory.create_batch(2, organisation=pm.organisation, supplier=supplier, owner=pm.user)
    with django_assert_max_num_queries(10) as small:
        pm_client.get(url)
    for _ in range(40):
        ProductFactory(
            organisation=pm.organisation,
            supplier=SupplierFactory(),
            owner=MembershipFactory(organisation=pm.organisation).user,
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert pm_client.get(url).status_code == 200


def test_a_contract_dated_year_one_from_before_dates_were_bounded_does_not_break_its_page(
    pm_client, pm
):
    contract = ContractFactory(product=ProductFactory(organisation=pm.organisation))
    Contract.unscoped.filter(pk=contract.pk).update(
        start_date=date(1, 1, 1), end_date=date(1, 1, 1)
    )
    url = reverse("portfolio:product_detail", args=[pm.organisation.ods_code, contract.product_id])
    assert pm_client.get(url).status_code == 200


def test_a_contract_dated_year_one_is_refused_with_an_nhs_message(pm_client, pm):
    product = ProductFactory(organisation=pm.organisation)
    url = reverse("portfolio:contract_create", args=[pm.organisation.ods_code, product.pk])
    response = pm_client.post(
        url,
        {
            "supplier": product.supplier_id,
            "start_date": "0001-01-01",
            "end_date": "2027-03-31",
            "annual_cost": "1000",
            "licence_model": "enterprise",
            "notice_period_days": "90",
        },
    )
    assert response.status_code in (200, 400)
    assert "Start date must be between 1 January 1990 and 31 December 2099" in (
        response.content.decode()
    )
    assert not Contract.unscoped.filter(product=product).exists()
