"""Every model a page links to knows its own page (``get_absolute_url``), and that page opens."""

import pytest

from tests.factories import (
    FeedbackFactory,
    FeedbackLinkFactory,
    ProductFactory,
    RoadmapItemFactory,
    UsageImportFactory,
    WebhookEndpointFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda trust: trust, "/o/{ods}/"),
        (lambda trust: ProductFactory(organisation=trust), "/o/{ods}/products/{pk}/"),
        (lambda trust: UsageImportFactory(organisation=trust), "/o/{ods}/usage/imports/{pk}/"),
        (
            lambda trust: FeedbackFactory(product=ProductFactory(organisation=trust)),
            "/o/{ods}/feedback/{pk}/",
        ),
        (lambda trust: FeedbackLinkFactory(organisation=trust), "/o/{ods}/feedback-links/{pk}/"),
        (
            lambda trust: RoadmapItemFactory(product=ProductFactory(organisation=trust)),
            "/o/{ods}/roadmap/{pk}/",
        ),
        (lambda trust: WebhookEndpointFactory(organisation=trust), "/o/{ods}/webhooks/{pk}/"),
    ],
    ids=[
        "organisation",
        "product",
        "usage import",
        "feedback",
        "feedback link",
        "roadmap item",
        "webhook endpoint",
    ],
)
def test_a_models_own_page_opens_for_its_trusts_admin(org_admin_client, trust, make, path):
    obj = make(trust)
    url = obj.get_absolute_url()
    assert url == path.format(ods=trust.ods_code, pk=obj.pk)
    assert org_admin_client.get(url).status_code == 200


def test_an_ics_links_to_its_home(ics_lead_client, ics_lead):
    url = ics_lead.ics.get_absolute_url()
    assert url == f"/ics/{ics_lead.ics.ods_code}/"
    assert ics_lead_client.get(url).status_code == 200
