"""An export (or list) with a filter that does not make sense answers with an error, never with
every row; a disabled link's thanks page is gone like its form."""

import pytest
from django.urls import reverse

from tests.factories import FeedbackFactory, FeedbackLinkFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(trust):
    return ProductFactory(organisation=trust, name="Meridian EPR")


def export_url(trust, query):
    return reverse("feedback:feedback_export", args=[trust.ods_code]) + "?" + query


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("category=not-a-category", "category", "Select a category from the list"),
        ("status=nope", "status", "Select a status from the list"),
        ("staff_group=surgeon-general", "staff_group", "Select a staff group from the list"),
        ("product=999999", "product", "Select a product from the list"),
        ("product=abc", "product", "Select a product from the list"),
        ("date_from=31-02-2026", "date_from", "Enter a real date for ‘from’"),
        ("date_to=yesterday", "date_to", "Enter a real date for ‘to’"),
        (
            "date_from=2026-03-12&date_to=2026-03-01",
            "date_to",
            "The ‘to’ date must be the same as or after the ‘from’ date",
        ),
    ],
)
def test_an_invalid_export_filter_answers_with_an_error_not_everything(
    pm_client, trust, product, query, field, message
):
    FeedbackFactory(product=product, text="Secret-ish row that must not be exported")
    response = pm_client.get(export_url(trust, query))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'href="#id_{field}"' in page
    assert message in page
    assert "Secret-ish row" not in page


def test_another_trusts_product_is_an_invalid_filter(pm_client, trust, product):
    foreign = ProductFactory()
    response = pm_client.get(export_url(trust, f"product={foreign.pk}"))
    assert response.status_code == 400


def test_a_valid_filter_still_exports(pm_client, trust, product):
    FeedbackFactory(product=product, text="Praise row", category="praise")
    response = pm_client.get(export_url(trust, "category=praise&date_from=2000-01-01"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Praise row" in response.content.decode()


def test_the_list_shows_the_same_error_and_no_rows(pm_client, trust, product):
    FeedbackFactory(product=product, text="A row that must not be listed")
    url = reverse("feedback:feedback_list", args=[trust.ods_code]) + "?status=nope"
    response = pm_client.get(url)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a status from the list" in page
    assert "A row that must not be listed" not in page


def test_a_disabled_links_thanks_page_is_not_found(client, trust, product):
    link = FeedbackLinkFactory(organisation=trust, product=product, is_enabled=False)
    response = client.get(reverse("feedback:public_thanks", args=[link.token]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_an_enabled_links_thanks_page_opens(client, trust, product):
    link = FeedbackLinkFactory(organisation=trust, product=product)
    assert client.get(reverse("feedback:public_thanks", args=[link.token])).status_code == 200
