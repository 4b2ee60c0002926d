"""The summaries API: what the dashboards read, with ETag and Last-Modified (304s)."""

import pytest
from django.utils import timezone
from django.utils.http import http_date

from accounts.permissions import Role
from accounts.scoping import scope
from insights.models import ProductMonthSummary, TrustMonthSummary
from insights.summaries import summaries_recompute
from tests.apiclient import PROBLEM, api, make_token
from tests.factories import ContractFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/summaries/products/"
TRUST = "/api/v1/summaries/trust/"


@pytest.fixture
def trust(db):
    trust = MembershipFactory(role=Role.ORG_ADMIN).organisation
    product = ProductFactory(organisation=trust, name="Meridian EPR")
    ContractFactory(product=product)
    with scope(organisation=trust):
        summaries_recompute(trust)
    return trust


@pytest.fixture
def client(trust):
    return api(make_token(trust, Role.VIEWER, read_only=True)[1])


def test_product_and_trust_summaries_are_read_newest_month_first(trust, client):
    products = client.get(PRODUCTS)
    assert products.status_code == 200, products.content
    rows = products.json()["results"]
    with scope(organisation=trust):
        assert len(rows) == ProductMonthSummary.objects.count() > 0
        months = [row["month"] for row in rows]
        assert months == sorted(months, reverse=True)
        assert rows[0]["product_name"] == "Meridian EPR"
        trust_rows = client.get(TRUST).json()["results"]
        assert len(trust_rows) == TrustMonthSummary.objects.count()
    this_month = timezone.localdate().strftime("%Y-%m")
    only = client.get(f"{TRUST}?month_from={this_month}&month_to={this_month}").json()["results"]
    assert [row["month"] for row in only] == [this_month]


@pytest.mark.parametrize("query", ["month_from=2026-13", "month_to=March", "product=x"])
def test_a_filter_that_makes_no_sense_is_a_400(client, query):
    response = client.get(f"{PRODUCTS}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_etag_and_last_modified_answer_304_until_the_summaries_change(trust, client):
    first = client.get(TRUST)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified
    assert client.get(TRUST, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(TRUST, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(TRUST, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    old = http_date(1577836800)  # 1 January 2020
    assert client.get(TRUST, HTTP_IF_MODIFIED_SINCE=old).status_code == 200
    # Another page or filter is another representation: another ETag.
    assert client.get(f"{TRUST}?month_from=2020-01")["ETag"] != etag
    with scope(organisation=trust):
        summaries_recompute(trust)  # computed again: a new Last-Modified, a new ETag
    again = client.get(TRUST, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag


@pytest.mark.parametrize(
    ("role", "code"),
    [(Role.VIEWER, 200), (Role.PRODUCT_MANAGER, 200), (Role.CONTRIBUTOR, 403)],
)
def test_summaries_are_for_roles_that_see_dashboards(trust, role, code):
    assert api(make_token(trust, role)[1]).get(TRUST).status_code == code
