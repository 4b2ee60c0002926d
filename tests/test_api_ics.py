"""ICS read tokens: made by ICS leads in the app, reading the ICS's roll-ups through the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services as account_services
from accounts.models import IcsApiToken, IcsMembership
from accounts.permissions import Role
from accounts.scoping import scope, scopes_disabled
from insights.summaries import summaries_recompute
from tests.apiclient import PROBLEM, api, make_token
from tests.factories import (
    ContractFactory,
    IcsApiTokenFactory,
    IcsFactory,
    IcsMembershipFactory,
    MembershipFactory,
    OrganisationFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ics():
    ics = IcsFactory(name="North ICS")
    for name in ("North Trust", "South Trust"):
        trust = OrganisationFactory(name=name, ics=ics)
        ContractFactory(product=ProductFactory(organisation=trust, capability="epr"))
        with scope(organisation=trust):
            summaries_recompute(trust)
    return ics


@pytest.fixture
def lead(ics):
    return IcsMembershipFactory(ics=ics).user


def ics_secret(ics, lead, days=30):
    with scopes_disabled():
        return account_services.ics_api_token_create(
            ics=ics, name="Power BI", expires_at=timezone.now() + timedelta(days=days), actor=lead
        )


def test_a_lead_makes_a_token_on_the_page_and_sees_the_secret_once(client, ics, lead):
    client.force_login(lead)
    url = f"/ics/{ics.ods_code}/api-tokens/"
    assert client.get(url).status_code == 200
    made = client.post(url, {"name": "ICS Power BI", "lifetime": "90"}, follow=True)
    assert made.status_code == 200
    token = IcsApiToken.objects.get(ics=ics)
    page = made.content.decode()
    assert token.prefix in page and 'id="new-token-secret"' in page
    secret = page.split('id="new-token-secret" class="app-secret">')[1].split("<")[0]
    assert secret.startswith("npi_") and secret not in client.get(url).content.decode()
    assert token.key_hash == account_services.api_token_hash(secret)
    assert api(secret).get("/api/v1/ics/").status_code == 200
    refused = client.post(url, {"name": "", "lifetime": "7"})
    assert refused.status_code == 400
    assert "Enter a name for the token" in refused.content.decode()
    revoke = client.post(f"{url}{token.pk}/revoke/")
    assert revoke.status_code == 302
    assert api(secret).get("/api/v1/ics/").status_code == 401


def test_another_icss_lead_cannot_see_or_revoke_the_tokens(client, ics):
    token = IcsApiTokenFactory(ics=ics, name="Secret pipeline")
    other = IcsMembershipFactory(ics=IcsFactory()).user
    client.force_login(other)
    assert client.get(f"/ics/{ics.ods_code}/api-tokens/").status_code == 404
    assert client.post(f"/ics/{ics.ods_code}/api-tokens/{token.pk}/revoke/").status_code == 404
    own = f"/ics/{other.ics_memberships.get().ics.ods_code}/api-tokens/"
    assert client.post(f"{own}{token.pk}/revoke/").status_code == 404
    assert "Secret pipeline" not in client.get(own).content.decode()
    assert IcsApiToken.objects.get(pk=token.pk).revoked_at is None


def test_the_token_reads_the_icss_trusts_and_capabilities(ics, lead):
    _, secret = ics_secret(ics, lead)
    client = api(secret)
    about = client.get("/api/v1/ics/").json()
    assert about["ods_code"] == ics.ods_code
    assert [t["name"] for t in about["trusts"]] == ["North Trust", "South Trust"]
    trusts = client.get("/api/v1/ics/summaries/trusts/")
    assert trusts.status_code == 200, trusts.content
    assert {row["trust_name"] for row in trusts.json()["results"]} == {
        "North Trust",
        "South Trust",
    }
    this_month = timezone.localdate().strftime("%Y-%m")
    capabilities = client.get(
        f"/api/v1/ics/summaries/capabilities/?month_from={this_month}&month_to={this_month}"
    )
    assert capabilities.status_code == 200, capabilities.content
    [epr] = capabilities.json()["results"]
    assert (epr["month"], epr["capability"], epr["trusts"], epr["products"]) == (
        this_month,
        "epr",
        2,
        2,
    )
    etag = capabilities["ETag"]
    again = client.get(
        f"/api/v1/ics/summaries/capabilities/?month_from={this_month}&month_to={this_month}",
        HTTP_IF_NONE_MATCH=etag,
    )
    assert again.status_code == 304


def test_an_ics_token_only_reads_and_only_the_ics_routes(ics, lead):
    _, secret = ics_secret(ics, lead)
    client = api(secret)
    assert client.get("/api/v1/products/").status_code == 403
    assert client.get("/api/v1/summaries/trust/").status_code == 403
    assert client.post("/api/v1/ics/", {}, content_type="application/json").status_code == 405
    # And a trust's token cannot read the ICS routes.
    trust = OrganisationFactory(ics=ics)
    MembershipFactory(organisation=trust, role=Role.ORG_ADMIN)
    _, trust_secret = make_token(trust, Role.ORG_ADMIN)
    response = api(trust_secret).get("/api/v1/ics/summaries/trusts/")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("how", ["revoked", "expired", "lead_left"])
def test_a_token_stops_working(ics, lead, how):
    token, secret = ics_secret(ics, lead)
    if how == "revoked":
        account_services.ics_api_token_revoke(token=token, actor=lead)
    elif how == "expired":
        IcsApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    else:
        IcsMembership.objects.filter(user=lead, ics=ics).delete()
    response = api(secret).get("/api/v1/ics/")
    assert response.status_code == (403 if how == "lead_left" else 401)
    assert response["Content-Type"] == PROBLEM
